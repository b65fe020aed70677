"""hipcare: hip surveillance and the VDRO care pathway for children with cerebral palsy.

hipcare informs clinicians; it does not diagnose or decide. See README.md and GLOSSARY.md.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
