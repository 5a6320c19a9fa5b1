"""Drawing functions: each takes results computed elsewhere and draws them on a matplotlib Figure.

Plots know nothing of widgets: `draw_*(fig, result, ...)` fills a figure it is given, so the
command line, the notebooks and the widgets all draw the same way. One module per topic.
"""
