"""stretto.kernels: custom Triton kernels for the neural renderer's hot paths.

Placeholder package: kernels arrive with the neural renderer, each tested on CPU with
``TRITON_INTERPRET=1`` against a plain PyTorch reference.
"""
