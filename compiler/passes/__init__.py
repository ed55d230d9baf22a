"""Compiler passes, in order. Each module defines one function named after itself, and
declares the facts it REQUIRES and PROVIDES; the pipeline asserts them."""
