#!/usr/bin/env python3
"""Write a C file that holds a text file as the string tt_default_conf."""
import sys

src, dst = sys.argv[1], sys.argv[2]
with open(src, 'rb') as f:
    data = f.read()
with open(dst, 'w') as f:
    f.write('/* Built from %s: the default configuration. */\n' % src.split('/')[-1])
    f.write('extern const char tt_default_conf[];\n')
    f.write('const char tt_default_conf[] = {\n')
    for i in range(0, len(data), 16):
        f.write('\t' + ', '.join('0x%02x' % b for b in data[i:i + 16]) + ',\n')
    f.write('\t0x00\n};\n')
