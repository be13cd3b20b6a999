"""RFC 9162 Merkle trees against the published Certificate Transparency vectors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from vcwork.anchoring.merkle import (
    EMPTY_ROOT_HASH,
    MerkleTree,
    hash_leaf,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from vcwork.errors import MalformedValueError

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "rfc6962_merkle.json").read_text("utf-8")
)
LEAVES = [bytes.fromhex(x) for x in VECTORS["leafInputs"]]
ROOTS = [bytes.fromhex(x) for x in VECTORS["rootHashes"]]
SOME_HASH = bytes.fromhex(VECTORS["someHash"])
FULL_TREE = MerkleTree.from_leaf_inputs(LEAVES)


def _hashes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in values]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_hash_vector(size: int) -> None:
    tree = MerkleTree.from_leaf_inputs(LEAVES[:size])
    assert tree.root_hash == ROOTS[size]
    assert FULL_TREE.root_at(size) == ROOTS[size]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert MerkleTree([]).root_hash == EMPTY_ROOT_HASH


def test_node_hash_vectors() -> None:
    for level, hashes in enumerate(VECTORS["nodeHashes"]):
        for index, expected in enumerate(hashes):
            assert FULL_TREE.node(level, index).hex() == expected, (level, index)


@pytest.mark.parametrize(
    "vector",
    VECTORS["inclusionProofs"],
    ids=lambda v: f"{v['leaf']}-of-{v['treeSize']}",
)
def test_inclusion_proof_vector(vector: dict[str, Any]) -> None:
    index, size = vector["leaf"] - 1, vector["treeSize"]
    expected = _hashes(vector["path"])
    sized_tree = MerkleTree.from_leaf_inputs(LEAVES[:size])

    assert FULL_TREE.inclusion_proof(index, size) == expected
    assert sized_tree.inclusion_proof(index) == expected
    assert sized_tree.inclusion_proofs()[index] == expected
    assert verify_inclusion(
        index, size, hash_leaf(LEAVES[index]), expected, ROOTS[size]
    )


@pytest.mark.parametrize(
    "vector",
    VECTORS["consistencyProofs"],
    ids=lambda v: f"{v['size1']}-to-{v['size2']}",
)
def test_consistency_proof_vector(vector: dict[str, Any]) -> None:
    first, second = vector["size1"], vector["size2"]
    expected = _hashes(vector["proof"])

    assert FULL_TREE.consistency_proof(first, second) == expected
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], expected)


def _corrupted_inclusion_probes(
    index: int, size: int, path: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    probes = [
        ("index - 1", index - 1, size, leaf, root, path),
        ("index + 1", index + 1, size, leaf, root, path),
        ("index ^ 2", index ^ 2, size, leaf, root, path),
        ("size * 2", index, size * 2, leaf, root, path),
        ("size // 2", index, size // 2, leaf, root, path),
        ("wrong leaf", index, size, hash_leaf(b"WrongLeaf"), root, path),
        ("empty root", index, size, leaf, EMPTY_ROOT_HASH, path),
        ("random root", index, size, leaf, SOME_HASH, path),
        ("trailing root", index, size, leaf, root, [*path, root]),
        ("preceding root", index, size, leaf, root, [root, *path]),
    ]
    for i in range(len(path)):
        flipped = list(path)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((f"flipped bit in path[{i}]", index, size, leaf, root, flipped))
    if path:
        probes.append(("removed element", index, size, leaf, root, path[:-1]))
    if len(path) > 1:
        probes.append(
            (
                "inserted element",
                index,
                size,
                leaf,
                root,
                [path[0], SOME_HASH, *path[1:]],
            )
        )
    return probes


@pytest.mark.parametrize(
    "vector",
    VECTORS["inclusionProofs"],
    ids=lambda v: f"{v['leaf']}-of-{v['treeSize']}",
)
def test_corrupted_inclusion_proof_fails(vector: dict[str, Any]) -> None:
    index, size = vector["leaf"] - 1, vector["treeSize"]
    path = _hashes(vector["path"])
    probes = _corrupted_inclusion_probes(
        index, size, path, ROOTS[size], hash_leaf(LEAVES[index])
    )
    accepted = [
        name
        for name, i, n, leaf, root, p in probes
        if verify_inclusion(i, n, leaf, p, root)
    ]
    assert accepted == []


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS["consistencyProofs"] if v["proof"]],
    ids=lambda v: f"{v['size1']}-to-{v['size2']}",
)
def test_corrupted_consistency_proof_fails(vector: dict[str, Any]) -> None:
    first, second = vector["size1"], vector["size2"]
    proof = _hashes(vector["proof"])
    root1, root2 = ROOTS[first], ROOTS[second]
    probes = [
        ("size1 - 1", first - 1, second, root1, root2, proof),
        ("size1 + 1", first + 1, second, root1, root2, proof),
        ("size1 ^ 2", first ^ 2, second, root1, root2, proof),
        ("size2 * 2", first, second * 2, root1, root2, proof),
        ("size2 // 2", first, second // 2, root1, root2, proof),
        ("wrong root1", first, second, SOME_HASH, root2, proof),
        ("wrong root2", first, second, root1, SOME_HASH, proof),
        ("swapped roots", first, second, root2, root1, proof),
        ("empty proof", first, second, root1, root2, []),
        ("trailing root1", first, second, root1, root2, [*proof, root1]),
        ("trailing root2", first, second, root1, root2, [*proof, root2]),
        ("preceding root1", first, second, root1, root2, [root1, *proof]),
        ("preceding root2", first, second, root1, root2, [root2, *proof]),
        ("preceding proof[0]", first, second, root1, root2, [proof[0], *proof]),
        ("truncated proof", first, second, root1, root2, proof[:-1]),
    ]
    for i in range(len(proof)):
        flipped = list(proof)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append(
            (f"flipped bit in proof[{i}]", first, second, root1, root2, flipped)
        )
    accepted = [
        name for name, m, n, r1, r2, p in probes if verify_consistency(m, n, r1, r2, p)
    ]
    assert accepted == []


def test_single_leaf_inclusion_vectors() -> None:
    leaf = hash_leaf(b"data")
    assert verify_inclusion(0, 1, leaf, [], leaf)
    assert not verify_inclusion(0, 1, b"", [], leaf)
    assert not verify_inclusion(0, 1, leaf, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1)])
def test_inclusion_outside_tree_fails(index: int, size: int) -> None:
    assert not verify_inclusion(index, size, SOME_HASH, [], EMPTY_ROOT_HASH)


def test_trivial_consistency_cases() -> None:
    assert verify_consistency(0, 0, EMPTY_ROOT_HASH, EMPTY_ROOT_HASH, [])
    assert verify_consistency(0, 5, EMPTY_ROOT_HASH, SOME_HASH, [])
    assert verify_consistency(3, 3, SOME_HASH, SOME_HASH, [])
    assert not verify_consistency(3, 3, SOME_HASH, EMPTY_ROOT_HASH, [])
    assert not verify_consistency(2, 1, SOME_HASH, SOME_HASH, [])
    assert not verify_consistency(1, 1, SOME_HASH, SOME_HASH, [EMPTY_ROOT_HASH])


def test_proofs_agree_for_every_size_up_to_40() -> None:
    leaves = [hash_leaf(os.urandom(8)) for _ in range(40)]
    for size in range(1, 41):
        tree = MerkleTree(leaves[:size])
        all_paths = tree.inclusion_proofs()
        for index in range(size):
            generic = inclusion_proof(tree.node, index, size)
            assert all_paths[index] == generic, (index, size)
            assert verify_inclusion(index, size, leaves[index], generic, tree.root_hash)
        for first in range(size + 1):
            proof = tree.consistency_proof(first)
            assert verify_consistency(
                first, size, tree.root_at(first), tree.root_hash, proof
            ), (first, size)


def test_inclusion_proof_index_out_of_range_raises() -> None:
    with pytest.raises(
        MalformedValueError, match="leaf index 8 is outside a tree of 8"
    ):
        FULL_TREE.inclusion_proof(8)


def test_leaf_hash_of_wrong_length_raises() -> None:
    with pytest.raises(MalformedValueError, match="leaf hash 0 has 3 bytes"):
        MerkleTree([b"abc"])
