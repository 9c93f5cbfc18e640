from qr.decoder import Decoder

__all__ = ["Decoder"]
