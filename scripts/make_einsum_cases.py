#!/usr/bin/env python3
"""Regenerates tests/data/einsum: inputs and numpy.einsum's outputs (float64 sums, stored as
float32) for the equations tests/einsum_test.cc runs through lowp. Run with any Python that has
numpy:  python3 scripts/make_einsum_cases.py
"""
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "einsum")

# name: (equation, input shapes); the same list is in tests/einsum_test.cc.
CASES = {
    "batch_matmul": ("bij, bjk -> bik", [(2, 3, 4), (2, 4, 5)]),
    "maxvit_pv": ("B G H I J, B G H J D -> B G H I D", [(1, 2, 2, 3, 4), (1, 2, 2, 4, 5)]),
    "maxvit_qk": ("B G H I D, B G H J D -> B G H I J", [(1, 2, 2, 3, 5), (1, 2, 2, 4, 5)]),
    "inner": ("i,i", [(5,), (5,)]),
    "transpose": ("ij->ji", [(3, 4),]),
    "row_sum": ("ij->i", [(3, 4),]),
    "diagonal": ("...ii ->...i", [(3, 5, 5),]),
    "two_contracted": ("abcd,cdef->abef", [(2, 3, 4, 5), (4, 5, 2, 3)]),
    "implicit_broadcast": ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    "transposed_out": ("ij,jk->ki", [(3, 4), (4, 2)]),
    "one_sided_sum": ("ij,jk->k", [(3, 4), (4, 2)]),
    "three_operands": ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, (equation, shapes) in CASES.items():
        inputs = [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]
        for i, x in enumerate(inputs):
            np.save(os.path.join(OUT, f"{name}_in{i}.npy"), x)
        y = np.einsum(equation.replace(" ", ""), *[x.astype(np.float64) for x in inputs])
        np.save(os.path.join(OUT, f"{name}_out.npy"), np.array(y, np.float32, order="C"))
        print(name, equation, np.shape(y))


if __name__ == "__main__":
    main()
