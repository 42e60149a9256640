#!/usr/bin/env python3
"""Which tables a SQLite database's WAL frames belong to.

Usage: python3 bench/walpages.py COPY.db [FRAMES]

COPY.db is a copy of a benchmark's database taken mid-run together with its
-wal file (cp X.db X.db-wal to a directory of their own, in that order). The
last FRAMES frames (40,000 by default) are counted by the b-tree their page
belongs to (Python's sqlite3 with the dbstat table). Pages the copied database
does not map yet count as '?'. docs/PERFORMANCE.md, phase 16.
"""
import collections
import os
import sqlite3
import struct
import sys

db = sys.argv[1]
want = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
con = sqlite3.connect('file:' + db + '?mode=ro', uri=True)
owner = dict((page, name) for name, page in con.execute('SELECT name, pageno FROM dbstat'))
con.close()
with open(db + '-wal', 'rb') as wal:
    page_size = struct.unpack('>I', wal.read(32)[8:12])[0]
    frame = 24 + page_size
    frames = (os.path.getsize(db + '-wal') - 32) // frame
    counts, commits, n = collections.Counter(), 0, 0
    for i in range(max(0, frames - want), frames):
        wal.seek(32 + i * frame)
        page, commit = struct.unpack('>II', wal.read(8))
        counts[owner.get(page, '?')] += 1
        commits += commit != 0
        n += 1
print(f'{n} frames, {commits} commits, {n / max(commits, 1):.1f} frames a commit')
for name, k in counts.most_common(15):
    print(f'{name:36s} {k:7d} {100 * k / n:5.1f} %')
