"""Tests of minigrad/optim/lr_scheduler/, one file per module."""
