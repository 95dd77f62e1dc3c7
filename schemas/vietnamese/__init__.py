"""Vietnamese text in legacy encodings (TCVN3, VNI, VIQR, Windows-1258) and decomposed
Unicode, detected cell by cell and line by line, and converted to NFC.

Old provincial spreadsheets were typed with 8-bit font encodings; a reader shows them as
mojibake ("Nghiªn cøu", "Ñaø Naüng"). `convert` turns such a cell into NFC Unicode and says
what it found; text that is good Unicode already is never changed beyond NFC. See
`schemas.vietnamese.detect` for the rule.

    >>> convert("Nghiªn cøu khoa häc")
    Conversion(text='Nghiên cứu khoa học', encoding='tcvn3')
"""

from schemas.vietnamese.detect import (
    ENCODINGS,
    Conversion,
    UnknownEncoding,
    convert,
    convert_lines,
    detect,
    encoding_name,
)

__all__ = [
    "ENCODINGS",
    "Conversion",
    "UnknownEncoding",
    "convert",
    "convert_lines",
    "detect",
    "encoding_name",
]
