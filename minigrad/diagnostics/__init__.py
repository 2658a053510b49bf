"""Seeing inside training: graph drawing, anomaly detection, activation statistics."""

from minigrad.diagnostics.anomaly import detect_anomaly, is_anomaly_enabled
from minigrad.diagnostics.graph import draw_graph, graph_dot, graph_text
from minigrad.diagnostics.stats import (
    ActivationStats,
    TensorStats,
    UpdateRatios,
    format_table,
    plot_histograms,
    saturation_fraction,
    tensor_stats,
    update_ratios,
)

__all__ = [
    "detect_anomaly", "is_anomaly_enabled", "draw_graph", "graph_dot", "graph_text",
    "ActivationStats", "TensorStats", "UpdateRatios", "format_table", "plot_histograms",
    "saturation_fraction", "tensor_stats", "update_ratios",
]
