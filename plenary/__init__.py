"""Plenary: a live participatory platform for assemblies and plenaries."""
