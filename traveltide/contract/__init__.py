"""The data contract as code: every table of every layer, once, with its grain, columns and keys.

One ``<layer>/<table>`` name finds everything about a table: its declaration in
``traveltide/contract/<layer>.py``, its SQL in ``traveltide/sql/<layer>/<table>.sql`` and its
business checks in ``expectations/<layer>/<table>.json``. From the declaration come the build's
contract check, the column, type, NOT NULL and key expectations, the Hyper keys and the data
dictionary.
"""

from __future__ import annotations

from traveltide.contract import bronze, gold, mart, silver
from traveltide.contract.model import Column, ForeignKey, Layer, Materialized, Table

__all__ = ["LAYERS", "Column", "ForeignKey", "Layer", "Materialized", "Table", "layer", "table"]

# In pipeline order.
LAYERS: tuple[Layer, ...] = (bronze.LAYER, silver.LAYER, gold.LAYER, mart.LAYER)


def layer(name: str) -> Layer:
    """The layer called ``name`` ('bronze', 'silver', 'gold' or 'mart')."""
    for found in LAYERS:
        if found.name == name:
            return found
    raise KeyError(f"no layer {name!r}; expected one of {[lay.name for lay in LAYERS]}")


def table(qualified_name: str) -> Table:
    """The table called ``layer.name`` (e.g. 'silver.sessions')."""
    layer_name, _, name = qualified_name.partition(".")
    return layer(layer_name).table(name)
