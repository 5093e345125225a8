"""Record lists ordered and paged in SQL, and the archive's tree by
全宗/年度/门类/保管期限 with its counts.

Every count and list here takes the 密级 the reader may see (`levels`): a
reader never learns how many records of a higher 密级 a node holds. Sort keys
are the table columns' keys (api/export.py RECORD_COLUMNS), mapped to catalog
columns through the fixed `SORT_COLUMNS`; nothing a user sends reaches the
SQL text."""

from __future__ import annotations

from dataclasses import dataclass, field

from dangan.catalog.stores import Seam, placeholders

# table column key -> catalog column it sorts by
SORT_COLUMNS = {
    "archival_code": "archival_code",
    "title": "title",
    "business_date": "formed_date",
    "class_name": "doc_type",
    "category": "category",
    "retention": "retention",
    "page_count": "page_count",
    "security": "security_level",
}

# the review queue's sort keys -> catalog columns
REVIEW_SORT_COLUMNS = {
    "created_at": "created_at",
    "confidence": "confidence",
    "title": "title",
    "filename": "filename",
}

_LIGHT = (
    "id, filename, title, page_count, status, doc_type, category, retention, formed_date,"
    " disposal_date, archival_prefix, archival_code, security_level"
)


def sort_key(key: str | None, columns: dict[str, str] = SORT_COLUMNS) -> str | None:
    """`key` if it is a sortable column's key, else None."""
    return key if key in columns else None


def _order_by(sort: str, descending: bool, columns: dict[str, str] = SORT_COLUMNS) -> str:
    column = columns[sort]
    direction = "DESC" if descending else "ASC"
    # missing values last whichever the direction; the id keeps pages stable
    return f"ORDER BY ({column} IS NULL), {column} {direction}, id {direction}"


def _levels_clause(levels: tuple[str, ...] | None) -> tuple[str, list]:
    if levels is None:
        return "1=1", []
    if not levels:
        return "1=0", []
    return f"security_level IN ({placeholders(len(levels))})", list(levels)


# --- the tree ----------------------------------------------------------------


def prefix_parts(prefix: str) -> tuple[str, str]:
    """(全宗号, 年度) of a 档号 prefix `全宗号-门类代码·年度-保管期限代码-机构代码`."""
    fonds, _, rest = prefix.partition("-")
    year = rest.partition("·")[2].partition("-")[0]
    return fonds, year


@dataclass
class TreeNode:
    """One node of the tree: its label, the filter it stands for, how many
    records the reader may see under it, and its children."""

    label: str
    count: int = 0
    fonds: str = ""
    year: str = ""
    category: str = ""
    retention: str = ""
    children: list[TreeNode] = field(default_factory=list)

    def child(self, label: str, **key) -> TreeNode:
        for node in self.children:
            if node.label == label:
                return node
        node = TreeNode(label=label, **{**self.key(), **key})
        self.children.append(node)
        return node

    def key(self) -> dict[str, str]:
        return {
            "fonds": self.fonds,
            "year": self.year,
            "category": self.category,
            "retention": self.retention,
        }


@dataclass(frozen=True)
class TreeFilter:
    """A node of the tree as a filter; empty parts select everything."""

    fonds: str = ""
    year: str = ""
    category: str = ""
    retention: str = ""

    def is_root(self) -> bool:
        return not (self.fonds or self.year or self.category or self.retention)


def _retention_order(label: str) -> tuple[int, int]:
    if label == "永久":
        return (0, 0)
    digits = "".join(ch for ch in label if ch.isdigit())
    return (1, -int(digits)) if digits else (2, 0)


class ListingRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    def tree_counts(self, levels: tuple[str, ...] | None) -> list[dict]:
        """(archival_prefix, category, retention, n) of filed records of the
        given 密级, one row per group."""
        where, params = _levels_clause(levels)
        rows = self.seam.connection().execute(
            "SELECT archival_prefix, category, retention, count(*) AS n FROM records"
            " WHERE status = 'filed' AND archival_prefix IS NOT NULL"
            f" AND archival_code IS NOT NULL AND {where}"
            " GROUP BY archival_prefix, category, retention",
            params,
        )
        return [dict(r) for r in rows]

    def tree(self, levels: tuple[str, ...] | None) -> TreeNode:
        """全宗 → 年度 (newest first) → 门类 → 保管期限 (永久 first), with the
        number of visible filed records under each node."""
        root = TreeNode(label="全部档案")
        for row in self.tree_counts(levels):
            fonds, year = prefix_parts(row["archival_prefix"])
            category = row["category"] or "未分类"
            retention = row["retention"] or "未定"
            path = [
                root,
                root.child(fonds, fonds=fonds),
            ]
            path.append(path[-1].child(f"{year}年度", year=year))
            path.append(path[-1].child(category, category=category))
            path.append(path[-1].child(retention, retention=retention))
            for node in path:
                node.count += row["n"]
        _sort_tree(root, 0)
        return root

    def prefixes(self, node: TreeFilter, levels: tuple[str, ...] | None) -> list[str]:
        """The 档号 prefixes under `node` that hold records of these 密级."""
        return sorted(
            {
                row["archival_prefix"]
                for row in self.tree_counts(levels)
                if (not node.fonds or prefix_parts(row["archival_prefix"])[0] == node.fonds)
                and (not node.year or prefix_parts(row["archival_prefix"])[1] == node.year)
            }
        )

    def in_node(
        self,
        node: TreeFilter,
        levels: tuple[str, ...] | None,
        *,
        sort: str | None = None,
        descending: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[int, list[dict]]:
        """(total, rows) of the filed records under `node` that the reader may
        see, in 档号 order unless `sort` names a column, one page."""
        prefixes = self.prefixes(node, levels)
        if not prefixes:
            return 0, []
        level_sql, params = _levels_clause(levels)
        clauses = [
            "status = 'filed'",
            "archival_code IS NOT NULL",
            level_sql,
            f"archival_prefix IN ({placeholders(len(prefixes))})",
        ]
        params += prefixes
        for column, value in (("category", node.category), ("retention", node.retention)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = " AND ".join(clauses)
        conn = self.seam.connection()
        total = conn.execute(f"SELECT count(*) FROM records WHERE {where}", params).fetchone()[0]
        order = _order_by(sort_key(sort) or "archival_code", descending)
        rows = conn.execute(
            f"SELECT {_LIGHT} FROM records WHERE {where} {order} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return total, [dict(r) for r in rows]

    def review_ids(
        self,
        levels: tuple[str, ...] | None,
        *,
        sort: str | None = None,
        descending: bool = False,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[int, list[str]]:
        """(total, one page of ids) of the records waiting for review that the
        reader may see, oldest upload first unless `sort` names a column."""
        level_sql, params = _levels_clause(levels)
        where = f"status = 'review' AND {level_sql}"
        conn = self.seam.connection()
        total = conn.execute(f"SELECT count(*) FROM records WHERE {where}", params).fetchone()[0]
        key = sort_key(sort, REVIEW_SORT_COLUMNS) or "created_at"
        order = _order_by(key, descending, REVIEW_SORT_COLUMNS)
        rows = conn.execute(
            f"SELECT id FROM records WHERE {where} {order} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return total, [r["id"] for r in rows]

    def ordered_ids(
        self, record_ids: list[str], sort: str, descending: bool, limit: int, offset: int
    ) -> list[str]:
        """One page of `record_ids` in the order of the column `sort` names."""
        if not record_ids or sort not in SORT_COLUMNS:
            return []
        rows = self.seam.connection().execute(
            f"SELECT id FROM records WHERE id IN ({placeholders(len(record_ids))})"
            f" {_order_by(sort, descending)} LIMIT ? OFFSET ?",
            [*record_ids, limit, offset],
        )
        return [r["id"] for r in rows]


def _sort_tree(node: TreeNode, depth: int) -> None:
    if depth == 1:  # years, newest first
        node.children.sort(key=lambda n: n.year, reverse=True)
    elif depth == 3:  # retention periods, 永久 first, then the longest
        node.children.sort(key=lambda n: _retention_order(n.label))
    else:
        node.children.sort(key=lambda n: n.label)
    for child in node.children:
        _sort_tree(child, depth + 1)
