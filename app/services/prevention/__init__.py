"""Prevention: the measures register, each measure's evaluation and the yearly report."""
