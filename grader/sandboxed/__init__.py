"""Code that runs beside student code, inside the sandboxed worker.

Everything in this package is copied into the worker's kit, so it may import only the
standard library, numpy, torch, cnnlab and itself (relative imports). The judge imports
the codec from here too, so both sides share one wire format.
"""
