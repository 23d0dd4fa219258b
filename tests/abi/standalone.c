/* Compiled once per public header with -include <header> (see meson.build):
   each header must compile on its own, first, in C and in C++. */
