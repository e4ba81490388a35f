# Names viper code uses as builtins, for pyright (MicroPython's own: py/emitnative.c).
# A viper function's ptr8/ptr16/ptr32 parameter takes the buffer its caller passes (a
# bytearray, an array or a memoryview) and indexes it as typed memory, so to the checker a
# pointer parameter is the buffers it is called with. The stubs' own __builtins__.pyi types
# them as int subclasses, which makes every kernel call an error (a false positive).
from array import array

from _mpy_shed._mpy_builtins import const as const

ptr8 = bytearray | memoryview | array[int]
ptr16 = bytearray | memoryview | array[int]
ptr32 = bytearray | memoryview | array[int]
uint = int
