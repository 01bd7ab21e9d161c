"""Architecture diagram of a stack, from its synth: `python -m tools.diagram` (see __main__)."""
