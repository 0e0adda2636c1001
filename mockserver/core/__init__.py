"""The bottom layer: state and plain utilities that know nothing of HTTP or of any vendor.

The journal (:mod:`.store`), the clock, seeded randomness, error tables as data, SMS part
counting, the config file and YAML with locations. Everything above may import from here; this
package imports nothing else of ``mockserver``.
"""
