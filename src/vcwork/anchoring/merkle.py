"""Merkle trees with RFC 9162 hashing: tree hashes, inclusion and consistency proofs.

RFC 9162 (Certificate Transparency 2.0), section 2.1, with SHA-256:

- a leaf hash is ``SHA-256(0x00 || leaf input)``;
- an interior node hash is ``SHA-256(0x01 || left || right)``;
- the tree over ``n`` leaves splits at ``k``, the largest power of two
  smaller than ``n``, so every left subtree is perfect;
- the hash of the empty tree is ``SHA-256()``.

The proof functions follow the algorithms of sections 2.1.3 (inclusion) and
2.1.4 (consistency), with the RFC's step numbers in the verifiers. The same
hashing and proofs are used by RFC 6962, so its published test vectors apply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from ..errors import MalformedValueError

__all__ = [
    "EMPTY_ROOT_HASH",
    "HASH_SIZE",
    "MerkleTree",
    "consistency_proof",
    "hash_children",
    "hash_leaf",
    "inclusion_proof",
    "root_from_inclusion_proof",
    "subtree_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT_HASH = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

NodeLookup = Callable[[int, int], bytes]
"""Returns the hash of the perfect subtree at ``(level, index)``.

Level 0 contains the leaf hashes; the node ``(level, index)`` covers the leaves
``index * 2**level`` up to, but not including, ``(index + 1) * 2**level``.
"""


def hash_leaf(leaf_input: bytes) -> bytes:
    """Return the RFC 9162 leaf hash, ``SHA-256(0x00 || leaf_input)``."""
    return hashlib.sha256(_LEAF_PREFIX + leaf_input).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash, ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split_point(size: int) -> int:
    """Return the largest power of two smaller than ``size`` (``size`` >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def subtree_hash(node: NodeLookup, start: int, end: int) -> bytes:
    """Return MTH(D[start:end]) from perfect-subtree hashes.

    ``start`` must be a multiple of the largest power of two not above
    ``end - start``, which holds for every subtree an RFC 9162 proof names.
    The range is split as the RFC's MTH definition splits it, so only
    ``O(log n)`` perfect nodes are read.
    """
    size = end - start
    if size == 0:
        return EMPTY_ROOT_HASH
    if size & (size - 1) == 0:
        level = size.bit_length() - 1
        return node(level, start >> level)
    k = _split_point(size)
    return hash_children(
        subtree_hash(node, start, start + k), subtree_hash(node, start + k, end)
    )


def inclusion_proof(node: NodeLookup, leaf_index: int, tree_size: int) -> list[bytes]:
    """Return the inclusion path of leaf ``leaf_index`` in the tree of ``tree_size``.

    Implements PATH(m, D[n]) of RFC 9162 section 2.1.3.1. The path is listed
    from the leaf's sibling up to the child of the root, as the RFC orders it.
    """
    _check_index(leaf_index, tree_size)
    path: list[bytes] = []
    start, end = 0, tree_size
    while end - start > 1:
        k = _split_point(end - start)
        if leaf_index < start + k:
            path.append(subtree_hash(node, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(node, start, start + k))
            start = start + k
    path.reverse()
    return path


def consistency_proof(
    node: NodeLookup, first_size: int, second_size: int
) -> list[bytes]:
    """Return the consistency proof between the trees of two sizes.

    Implements PROOF(m, D[n]) and SUBPROOF of RFC 9162 section 2.1.4.1. The
    proof is empty when ``first_size`` is 0 or equals ``second_size``.
    """
    if not 0 <= first_size <= second_size:
        raise MalformedValueError(
            f"a consistency proof needs 0 <= first size <= second size, got "
            f"{first_size} and {second_size}",
            property="treeSize",
            value=[first_size, second_size],
        )
    if first_size in (0, second_size):
        return []
    proof: list[bytes] = []
    # SUBPROOF(m, D[start:end], b), unrolled: `complete` is the flag b.
    m, start, end, complete = first_size, 0, second_size, True
    while m != end - start:
        k = _split_point(end - start)
        if m <= k:
            proof.append(subtree_hash(node, start + k, end))
            end = start + k
        else:
            proof.append(subtree_hash(node, start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        proof.append(subtree_hash(node, start, end))
    proof.reverse()
    return proof


def _check_index(leaf_index: int, tree_size: int) -> None:
    if not 0 <= leaf_index < tree_size:
        raise MalformedValueError(
            f"leaf index {leaf_index} is outside a tree of {tree_size} leaves",
            property="leafIndex",
            value=leaf_index,
        )


# -- verification ---------------------------------------------------------------


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf_hash: bytes, path: Sequence[bytes]
) -> bytes | None:
    """Return the root an inclusion path leads to, or None when the path is invalid.

    Implements the verification algorithm of RFC 9162 section 2.1.3.2,
    steps 1-5, except the final comparison with the expected root.
    """
    # Step 1: the leaf must lie inside the tree.
    if not 0 <= leaf_index < tree_size or len(leaf_hash) != HASH_SIZE:
        return None
    # Steps 2-3.
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash
    # Step 4. The hashing is inlined: this loop dominates verification time.
    sha256 = hashlib.sha256
    for p in path:
        if len(p) != HASH_SIZE or sn == 0:  # 4.a
            return None
        if fn & 1 or fn == sn:  # 4.b
            r = sha256(_NODE_PREFIX + p + r).digest()
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha256(_NODE_PREFIX + r + p).digest()
        fn >>= 1  # 4.c
        sn >>= 1
    # Step 5: the path must have been exactly long enough.
    return r if sn == 0 else None


def verify_inclusion(
    leaf_index: int,
    tree_size: int,
    leaf_hash: bytes,
    path: Sequence[bytes],
    root_hash: bytes,
) -> bool:
    """Return whether ``path`` proves the leaf is in the tree with ``root_hash``."""
    computed = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, path)
    return computed is not None and computed == root_hash


def verify_consistency(
    first_size: int,
    second_size: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Return whether ``proof`` shows the second tree extends the first.

    Implements RFC 9162 section 2.1.4.2. Between equal sizes the proof must be
    empty and the roots equal, and from the empty tree the proof must be
    empty, because every tree extends it.
    """
    if not 0 <= first_size <= second_size:
        return False
    if any(len(c) != HASH_SIZE for c in proof):
        return False
    if first_size == second_size:
        return not proof and first_root == second_root
    if first_size == 0:
        return not proof
    # Step 1.
    if not proof:
        return False
    path = list(proof)
    # Step 2.
    if first_size & (first_size - 1) == 0:
        path.insert(0, first_root)
    # Steps 3-4.
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        if sn == 0:  # 6.a
            return False
        if fn & 1 or fn == sn:  # 6.b
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1  # 6.c
        sn >>= 1
    # Step 7.
    return sn == 0 and fr == first_root and sr == second_root


# -- in-memory tree -------------------------------------------------------------


class MerkleTree:
    """An in-memory RFC 9162 tree over a fixed list of leaf hashes.

    Builds every perfect subtree once (``n - 1`` node hashes for ``n``
    leaves), so the root, every inclusion path and consistency proofs against
    any smaller size are read without hashing leaves again.
    """

    __slots__ = ("_levels", "_root", "size")

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        for index, leaf in enumerate(leaf_hashes):
            if len(leaf) != HASH_SIZE:
                raise MalformedValueError(
                    f"leaf hash {index} has {len(leaf)} bytes, expected {HASH_SIZE}",
                    property="leafHash",
                    value=index,
                )
        self.size = len(leaf_hashes)
        levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append(
                [
                    hash_children(below[i], below[i + 1])
                    for i in range(0, len(below) - 1, 2)
                ]
            )
        self._levels = levels
        self._root = subtree_hash(self.node, 0, self.size)

    @classmethod
    def from_leaf_inputs(cls, leaf_inputs: Sequence[bytes]) -> MerkleTree:
        return cls([hash_leaf(item) for item in leaf_inputs])

    def node(self, level: int, index: int) -> bytes:
        """Return the hash of the perfect subtree at ``(level, index)``."""
        return self._levels[level][index]

    @property
    def root_hash(self) -> bytes:
        return self._root

    def leaf_hash(self, leaf_index: int) -> bytes:
        _check_index(leaf_index, self.size)
        return self._levels[0][leaf_index]

    def root_at(self, tree_size: int) -> bytes:
        """Return the root hash of the tree over the first ``tree_size`` leaves."""
        self._check_size(tree_size)
        return subtree_hash(self.node, 0, tree_size)

    def inclusion_proof(
        self, leaf_index: int, tree_size: int | None = None
    ) -> list[bytes]:
        """Return the inclusion path of a leaf, in the whole tree by default."""
        size = self.size if tree_size is None else tree_size
        self._check_size(size)
        if size == self.size:
            return self._full_size_path(leaf_index)
        return inclusion_proof(self.node, leaf_index, size)

    def inclusion_proofs(self) -> list[list[bytes]]:
        """Return the inclusion path of every leaf in the whole tree, in leaf order."""
        # The few imperfect subtrees on the right edge are shared by many paths.
        right_edge: dict[tuple[int, int], bytes] = {}
        return [self._full_size_path(i, right_edge) for i in range(self.size)]

    def consistency_proof(
        self, first_size: int, second_size: int | None = None
    ) -> list[bytes]:
        size = self.size if second_size is None else second_size
        self._check_size(size)
        return consistency_proof(self.node, first_size, size)

    def _full_size_path(
        self, leaf_index: int, right_edge: dict[tuple[int, int], bytes] | None = None
    ) -> list[bytes]:
        """Return PATH(m, D[n]) for the whole tree, walking up from the leaf.

        A sibling that exists at a level is a perfect subtree. When the node
        is the last one of an odd-length level, its sibling in the RFC tree
        is the hash of the leftover leaves to its right, or nothing when
        there are none.
        """
        _check_index(leaf_index, self.size)
        edge = right_edge if right_edge is not None else {}
        path: list[bytes] = []
        index = leaf_index
        level = 0
        while (1 << level) < self.size:
            width = 1 << level
            sibling = index ^ 1
            sibling_start = sibling * width
            if sibling_start < self.size:
                sibling_end = min(sibling_start + width, self.size)
                if sibling_end - sibling_start == width:
                    path.append(self._levels[level][sibling])
                else:
                    key = (sibling_start, sibling_end)
                    if key not in edge:
                        edge[key] = subtree_hash(self.node, sibling_start, sibling_end)
                    path.append(edge[key])
            index >>= 1
            level += 1
        return path

    def _check_size(self, tree_size: int) -> None:
        if not 0 <= tree_size <= self.size:
            raise MalformedValueError(
                f"tree size {tree_size} is outside 0..{self.size}",
                property="treeSize",
                value=tree_size,
            )
