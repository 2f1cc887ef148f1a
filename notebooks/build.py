"""Builds the .ipynb tutorials from their percent-format sources (`# %%` code cells, `# %% [markdown]`).

    python notebooks/build.py          # writes notebooks/*.ipynb next to notebooks/*.py (no outputs)
    python notebooks/build.py --check  # exits 1 if a committed .ipynb is out of date

The `.py` files are what people edit and review; the notebooks are generated and carry no outputs.
"""

import pathlib
import sys

import nbformat

HERE = pathlib.Path(__file__).parent


def cells_of(source):
    cells, kind, lines = [], None, []

    def flush():
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in text.splitlines())
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text:
            cells.append(nbformat.v4.new_code_cell(text))

    for line in source.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def notebook_of(path):
    notebook = nbformat.v4.new_notebook(cells=cells_of(path.read_text()))
    for i, cell in enumerate(notebook.cells):
        cell.id = f"cell-{i:02d}"  # nbformat would draw random ids: keep the build reproducible
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.writes(notebook) + "\n"


def main(check=False):
    stale = []
    for source in sorted(HERE.glob("[0-9]*.py")):
        target = source.with_suffix(".ipynb")
        text = notebook_of(source)
        if check:
            if not target.exists() or target.read_text() != text:
                stale.append(target.name)
        else:
            target.write_text(text)
    if stale:
        print(f"Out of date (run `python notebooks/build.py`): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(check="--check" in sys.argv))
