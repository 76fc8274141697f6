"""QR codes of ticket tokens and the like: qrcode's symbols, drawn fast as PNG or SVG.

qrcode encodes; its mask is chosen here by the same penalty rules computed on bit rows, which
makes a ticket's QR several times faster (tests/test_tickets.py checks the symbols are qrcode's own).
"""
from __future__ import annotations

import io

import qrcode
from PIL import Image
from qrcode.util import MODE_ALPHA_NUM, QRData

QR_MAX_VERSION = 7
QR_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules


class QRTooLarge(ValueError):
    pass


class _QRCode(qrcode.QRCode):
    """qrcode's symbol, with its mask chosen by the same penalty rules, computed on bit rows."""

    def map_data(self, data, mask_pattern):
        if self.version not in _FLIPS and not hasattr(self, "data_cells"):
            self.data_cells = [[cell is None for cell in row] for row in self.modules]
        super().map_data(data, mask_pattern)

    def best_mask_pattern(self):
        self.makeImpl(True, 0)  # as qrcode does: format information left blank while choosing
        n = self.modules_count
        rows = [_bits(row) for row in self.modules]
        cols = [_bits(col) for col in zip(*self.modules, strict=True)]
        flips = _FLIPS.get(self.version) or _mask_flips(self.version, self.data_cells)
        best, best_points = 0, None
        for pattern in range(8):
            row_flips, col_flips = flips[pattern]
            points = _penalty(
                [r ^ f for r, f in zip(rows, row_flips, strict=True)], [c ^ f for c, f in zip(cols, col_flips, strict=True)], n
            )
            if best_points is None or points < best_points:
                best, best_points = pattern, points
        return best


_BIT_CHARS = bytes.maketrans(b"\x00\x01", b"01")


def _bits(cells) -> int:
    """A row of modules as an int: bit i set when module i is dark."""
    return int(bytes(cells[::-1]).translate(_BIT_CHARS), 2)


_FLIPS: dict[int, tuple] = {}


def _mask_flips(version: int, data_cells: list[list[bool]]) -> tuple:
    """Per mask: which data modules differ from mask 0, as row and column bit sets (once per version)."""
    n = len(data_cells)
    result = []
    for pattern in range(8):
        base, mask = qrcode.util.mask_func(0), qrcode.util.mask_func(pattern)
        grid = [[data_cells[r][c] and (base(r, c) != mask(r, c)) for c in range(n)] for r in range(n)]
        result.append((tuple(_bits(row) for row in grid), tuple(_bits(col) for col in zip(*grid, strict=True))))
    _FLIPS[version] = tuple(result)
    return _FLIPS[version]


def _penalty(rows: list[int], cols: list[int], n: int) -> int:
    """ISO/IEC 18004's mask penalty (as qrcode.util.lost_point counts it) on rows and columns as bits."""
    full = (1 << n) - 1
    starts = full >> 10  # where an 11-module pattern fits
    points = 0
    for lines in (rows, cols):
        for a in lines:
            b = ~a & full
            # N1: a run of 5 + k same-coloured modules costs 3 + k.
            same = ~(a ^ (a >> 1)) & (full >> 1)
            windows = same & (same >> 1) & (same >> 2) & (same >> 3)
            points += windows.bit_count() + 2 * (windows & ~(windows << 1)).bit_count()
            # N3: 40 for each 1:1:3:1:1 finder-like run with four light modules on one side
            # (dark-light-dark×3-light-dark-light×4, or the mirror image).
            core = (b >> 1) & (a >> 4) & (b >> 5) & (a >> 6) & (b >> 9) & starts
            light_after = a & (a >> 2) & (a >> 3) & (b >> 7) & (b >> 8) & (b >> 10)
            light_before = b & (b >> 2) & (b >> 3) & (a >> 7) & (a >> 8) & (a >> 10)
            points += 40 * (core & (light_after | light_before)).bit_count()
    # N2: every 2×2 block of one colour costs 3.
    for x, y in zip(rows, rows[1:], strict=False):
        block = ~(x ^ (x >> 1)) & ~(y ^ (y >> 1)) & ~(x ^ y) & (full >> 1)
        points += 3 * block.bit_count()
    # N4: 10 for every 5 % the dark share strays from half.
    dark = sum(x.bit_count() for x in rows)
    points += int(abs(float(dark) / (n * n) * 100 - 50) / 5) * 10
    return points


def qr_matrix(token: str) -> list[list[bool]]:
    """The token's QR symbol (error correction M, version ≤ 7) with its quiet zone; True is dark."""
    qr = _QRCode(error_correction=QR_ERROR_CORRECTION, border=QR_BORDER)
    # Alphanumeric mode when the text allows it (tokens always do): 5.5 bits a character, not 8.
    alphanumeric = all(c in qrcode.util.ALPHA_NUM.decode() for c in token)
    qr.add_data(QRData(token, mode=MODE_ALPHA_NUM) if alphanumeric else QRData(token.encode()))
    version = qr.best_fit()
    if version > QR_MAX_VERSION:
        raise QRTooLarge(f"{len(token)} characters need a QR of version {version}; at most {QR_MAX_VERSION} is allowed")
    qr.make(fit=False)
    return qr.get_matrix()


_GREY_LEVELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # light modules white, dark ones black


def qr_png(token: str, *, scale: int = 8) -> bytes:
    """A black-and-white PNG, `scale` pixels a module."""
    matrix = qr_matrix(token)
    n = len(matrix)
    pixels = b"".join(bytes(row) for row in matrix).translate(_GREY_LEVELS)
    image = Image.frombytes("L", (n, n), pixels)
    image = image.resize((n * scale, n * scale), Image.Resampling.NEAREST).convert("1", dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def qr_svg(token: str) -> bytes:
    """A standalone SVG: a white square and one path of dark runs (no script, no style, no links)."""
    matrix = qr_matrix(token)
    n = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    dimension = n * 8  # pixels when opened alone; pages and PDFs size it themselves
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{dimension}" height="{dimension}" '
        f'shape-rendering="crispEdges"><rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    ).encode("ascii")
