"""Seeing inside training: graph drawing, anomaly detection, activation statistics."""

from minigrad.autograd import detect_anomaly
from minigrad.diagnostics.graph import draw_graph, graph_dot, graph_text

__all__ = ["detect_anomaly", "draw_graph", "graph_dot", "graph_text"]
