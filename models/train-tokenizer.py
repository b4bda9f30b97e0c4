#!/usr/bin/env python3
"""Trains the byte-level BPE tokenizer that models/reference-tiny ships (tokenizer.json, Hugging Face format).

The reference engine's model is tiny and its weights are random, so the tokenizer only has to be a real
byte-level BPE of the kind MLC models ship (GPT-2 byte alphabet, ranked merges, added special tokens);
it is trained on the project's own English documents. Standard library only; deterministic.

    python3 models/train-tokenizer.py OUT.json VOCAB_SIZE CORPUS_FILE...

The shipped files were trained with VOCAB_SIZE 1024 and two special tokens; ChatML's <|im_start|> and <|im_end|>
(the reference models' conversation template) were added later as ids 1024 and 1025, which is what VOCAB_SIZE 1026
with the four special tokens below reproduces: the same 1022 learned tokens, so no earlier id changed.
"""
import collections
import json
import re
import sys


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable characters."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


# GPT-2's pre-tokenisation, with [^\W\d_] standing in for \p{L} (the re module has no Unicode classes).
PRE_TOKEN = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")
SPECIAL_TOKENS = ["<|endoftext|>", "<|begin_of_text|>", "<|im_start|>", "<|im_end|>"]


def train(text, vocab_size):
    byte_map = bytes_to_unicode()
    words = collections.Counter(
        tuple(byte_map[b] for b in piece.encode("utf-8")) for piece in PRE_TOKEN.findall(text))
    vocab = {ch: i for i, ch in enumerate(byte_map[b] for b in range(256))}
    merges = []
    target = vocab_size - len(SPECIAL_TOKENS)
    while len(vocab) < target:
        pairs = collections.Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        # Highest count first; ties broken by the pair itself so that the result is deterministic.
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merged = best[0] + best[1]
        merges.append(f"{best[0]} {best[1]}")
        vocab[merged] = len(vocab)
        new_words = collections.Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_words[tuple(out)] += count
        words = new_words
    added = [{"id": len(vocab) + k, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for k, tok in enumerate(SPECIAL_TOKENS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                  "merges": merges},
    }


def main():
    out, vocab_size, corpus = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    text = "\n".join(open(path, encoding="utf-8").read() for path in corpus)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(train(text, vocab_size), f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
