#!/usr/bin/env python3
"""Writes the fuzz harnesses' seed corpora (corpus/<harness>/): a few small,
valid inputs of each kind, so mutations start from the real formats.
Run from anywhere: python3 tests/fuzz/make_seeds.py"""
import gzip, os, struct, zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def write(harness, name, data):
    d = os.path.join(HERE, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def model(sizes, acts):
    """A model file (src/model/mlp_io.c's layout) without its trailing CRC-32."""
    b = b'NNACTMLP' + struct.pack('<II', 1, len(sizes))
    b += b''.join(struct.pack('<Q', s) for s in sizes)
    b += b''.join(struct.pack('<Iff', k, a, be) for k, a, be in acts)
    for i in range(len(sizes) - 1):
        n = sizes[i] * sizes[i + 1] + sizes[i + 1]
        b += b''.join(struct.pack('<f', (j % 7 - 3) * 0.25) for j in range(n))
    return b


def idx(dims, payload):
    return bytes([0, 0, 8, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + payload


# kinds: 0 identity, 1 sigmoid, 2 tanh, 3 relu, 4 leaky, 5 prelu, 6 swish, 7 softmax
models = {
    'relu_softmax': model([2, 3, 2], [(3, 0, 0), (7, 1.0, 0)]),
    'deep': model([3, 2, 2, 1], [(4, 0.01, 0), (6, 0, 1.0), (1, 0, 0)]),
    'tanh': model([1, 1], [(2, 0, 0)]),
}
for name, body in models.items():
    write('model_crc', name, body)
    write('model', name, body + struct.pack('<I', zlib.crc32(body)))

images = idx([2, 2, 2], bytes([0, 64, 128, 255, 1, 2, 3, 4]))
labels = idx([2], bytes([3, 9]))
for name, im, lb in [('plain', images, labels),
                     ('gzip', gzip.compress(images, mtime=0), gzip.compress(labels, mtime=0)),
                     ('vector', idx([5], bytes(range(5))), labels)]:
    write('idx', name, struct.pack('<H', len(im)) + im + lb)

# Findings of the first long run (issue 9, item 5), kept as regressions:
# headers claiming 4 GiB of labels / 16 GiB of images in files of a few bytes
# made the reader allocate the claim before reading.
small = idx([5], bytes(range(5)))
write('idx', 'regress-labels-claim-4g',
      struct.pack('<H', len(small)) + small + idx([0xffffffff], bytes(8)))
huge = idx([0xfffffffb, 2, 2], bytes(8))
write('idx', 'regress-images-claim-16g', struct.pack('<H', len(huge)) + huge + labels)

for i, sel in enumerate(['auto', 'gpu,cpu', 'pocl', '1:1', 'nvidia, amd ,intel',
                         'RTX', '  ', 'apple,arm,accelerator', '9:9,3']):
    write('select', 'sel%d' % i, bytes([8, i * 37 % 256]) + sel.encode() + b'\0Mali\0')
