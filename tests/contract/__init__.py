"""The connector contract suite: one set of tests run over a harness for every connector kind."""
