"""Import-linter contracts of ShopHub's own: no module import cycles, no private names borrowed.

import-linter's built-in contracts see which modules import which; these two also look at
what is imported (a `_name`) and at cycles between single modules, which `acyclic_siblings`
only sees between packages.
"""

import re

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck

_IMPORTED_NAMES = re.compile(r"^\s*from\s+[\w.]+\s+import\s+\(?(?P<names>[^)#]*)")


class AcyclicModulesContract(Contract):
    """No module of `packages` imports, directly or through others, a module that imports it."""

    type_name = "acyclic_modules"
    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Every import A -> B whose B also reaches A back is one cycle."""
        cycles: list[list[str]] = []
        seen: set[frozenset[str]] = set()
        for importer in sorted(self._modules(graph)):
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                back = graph.find_shortest_chain(importer=imported, imported=importer)
                if back and frozenset(back) not in seen:
                    seen.add(frozenset(back))
                    cycles.append([importer, *back])
        return ContractCheck(kept=not cycles, metadata={"cycles": cycles})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """One line per cycle."""
        for cycle in check.metadata["cycles"]:
            output.print_error(" -> ".join(cycle))
            output.new_line()

    def _modules(self, graph: ImportGraph) -> set[str]:
        return {module for module in graph.modules
                if any(module == p or module.startswith(p + ".") for p in self.packages)}


class NoBorrowedPrivateNamesContract(Contract):
    """No module imports a `_private` name from a module of another package."""

    type_name = "no_borrowed_private_names"
    packages = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Read each import's line: `from a.b import _c` from outside package `a` breaks it."""
        borrowed: list[str] = []
        for importer in sorted(graph.modules):
            if not any(importer.startswith(p + ".") for p in self.packages):
                continue
            for imported in graph.find_modules_directly_imported_by(importer):
                if _package_of(imported) == _package_of(importer):
                    continue
                for detail in graph.get_import_details(importer=importer, imported=imported):
                    for name in _private_names(detail["line_contents"]):
                        borrowed.append(f"{importer} (l.{detail['line_number']}) takes "
                                        f"{name} from {imported}")
        return ContractCheck(kept=not borrowed, metadata={"borrowed": borrowed})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """One line per borrowed name."""
        for line in check.metadata["borrowed"]:
            output.print_error(line)
            output.new_line()


def _package_of(module: str) -> str:
    return module.rpartition(".")[0]


def _private_names(line: str) -> list[str]:
    match = _IMPORTED_NAMES.match(line)
    if not match:
        return []
    names = [part.split(" as ")[0].strip() for part in match["names"].split(",")]
    return [name for name in names if name.startswith("_") and not name.startswith("__")]
