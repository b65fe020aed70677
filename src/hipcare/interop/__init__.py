"""Adapters to the outside world's formats: FHIR R4 resources, DICOM radiographs, photos of films.

Entry points (the command line, the web application) wire these in; the domain and the
services never import them.
"""
