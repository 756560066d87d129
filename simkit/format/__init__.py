"""The scenario format, described once, as data.

The description is built in three layers, each importing only those before it:

- :mod:`simkit.format.scalars`: the base type, the types of single values
  (text, numbers, account references, CIDRs, masks, durations, times...) and
  the syntax of durations, rates and times;
- :mod:`simkit.format.records`: the types that hold other values (lists,
  records, tagged mappings such as steps) and ``parameters``;
- :mod:`simkit.format.tables`: the format itself, version 1
  (:data:`~simkit.format.tables.FORMAT`, :data:`~simkit.format.tables.OPS`),
  and its JSON Schema.

The types check the trees :mod:`simkit.yamltree` builds; :mod:`simkit.scenario`
loads files with them and re-exports the public names users need.
"""
