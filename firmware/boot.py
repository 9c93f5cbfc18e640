# Runs first on the device: quiet the ROM debug output, tidy the heap.
import gc

try:
    import esp
    esp.osdebug(None)
except ImportError:
    pass
gc.collect()
