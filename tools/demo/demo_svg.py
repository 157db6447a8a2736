"""The demo's evidence figure as a self-contained SVG (standard library only; no plotting package).

Left: per layer and head, the share of attention that the positions generating a retrieval answer put
on the tokens of the gold value in the context. Right: retrieval and commonsense accuracy of the
original model and of every single-layer hybrid (that layer's attention replaced by its distilled
lightning mixer).
"""

from xml.sax.saxutils import escape

FONT = "font-family=\"DejaVu Sans, Arial, sans-serif\""


def _text(x, y, s, size=12, anchor="start", weight="normal", fill="#222", rotate=None):
    rot = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{fill}" {FONT}{rot}>{escape(str(s))}</text>')


def _blue(v):
    """White (0) to dark blue (1)."""
    v = min(1.0, max(0.0, v))
    r, g, b = (int(255 + (c - 255) * v) for c in (8, 48, 107))
    return f"#{r:02x}{g:02x}{b:02x}"


def retrieval_heads_svg(heat, variants, title, notes=(), marked_layers=()):
    """heat[layer][head]: attention share in [0, 1]. variants: [(label, retrieval, commonsense)], the
    original first. marked_layers: layers to flag in the heatmap's row labels."""
    n_layers, n_heads = len(heat), len(heat[0])
    cell = 46
    hx, hy = 90, 90                        # heatmap origin
    bx = hx + n_heads * cell + 120         # bar chart origin (left axis)
    bw, bh = 56 * len(variants), 260       # bar chart size
    width = bx + bw + 40
    height = max(hy + n_layers * cell, 90 + bh) + 110 + 16 * len(notes)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}">', f'<rect width="{width}" height="{height}" fill="white"/>',
           _text(width / 2, 28, title, 16, "middle", "bold")]

    # -- heatmap ---------------------------------------------------------------------------
    top = max(max(row) for row in heat) or 1.0
    out.append(_text(hx + n_heads * cell / 2, hy - 34, "attention on the gold value (original model)", 12, "middle",
                     "bold"))
    for h in range(n_heads):
        out.append(_text(hx + h * cell + cell / 2, hy - 10, f"head {h}", 11, "middle"))
    for layer in range(n_layers):
        y = hy + layer * cell
        label = f"layer {layer}" + (" *" if layer in marked_layers else "")
        out.append(_text(hx - 8, y + cell / 2 + 4, label, 11, "end"))
        for h in range(n_heads):
            v = heat[layer][h]
            x = hx + h * cell
            out.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{_blue(v / top)}"/>')
            out.append(_text(x + cell / 2 - 1, y + cell / 2 + 4, f"{v:.2f}", 10, "middle",
                             fill="white" if v / top > 0.55 else "#222"))
    ly = hy + n_layers * cell + 14
    for i in range(5):
        out.append(f'<rect x="{hx + i * 28}" y="{ly}" width="28" height="10" fill="{_blue(i / 4)}" stroke="#ccc"/>')
    out.append(_text(hx, ly + 24, "0", 10))
    out.append(_text(hx + 140, ly + 24, f"{top:.2f}", 10, "end"))

    # -- bars ------------------------------------------------------------------------------
    y0 = 90 + bh
    out.append(_text(bx + bw / 2, hy - 34, "accuracy with one layer converted", 12, "middle", "bold"))
    for i in range(6):
        v = i / 5
        y = y0 - v * bh
        out.append(f'<line x1="{bx}" y1="{y:.1f}" x2="{bx + bw}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(_text(bx - 6, y + 4, f"{v:.1f}", 10, "end"))
    out.append(f'<line x1="{bx}" y1="{y0}" x2="{bx}" y2="{90}" stroke="#888"/>')
    colors = ("#d95f02", "#1b9e77")
    for j, (label, rt, cs) in enumerate(variants):
        x = bx + j * 56 + 8
        for k, v in enumerate((rt, cs)):
            h = max(0.0, min(1.0, v)) * bh
            out.append(f'<rect x="{x + k * 20}" y="{y0 - h:.1f}" width="18" height="{h:.1f}" fill="{colors[k]}"/>')
            out.append(_text(x + k * 20 + 9, y0 - h - 3, f"{v:.2f}", 8, "middle"))
        out.append(_text(x + 19, y0 + 14, label, 10, "middle"))
    if variants:
        for k, v in enumerate(variants[0][1:3]):
            y = y0 - v * bh
            out.append(f'<line x1="{bx}" y1="{y:.1f}" x2="{bx + bw}" y2="{y:.1f}" stroke="{colors[k]}" '
                       f'stroke-dasharray="4 3" stroke-width="1"/>')
    lx = bx + 4
    for k, name in enumerate(("retrieval (fda, swde, ruler)", "commonsense (hellaswag, arc)")):
        out.append(f'<rect x="{lx + k * 190}" y="{y0 + 26}" width="12" height="12" fill="{colors[k]}"/>')
        out.append(_text(lx + k * 190 + 16, y0 + 36, name, 11))
    ny = max(ly + 46, y0 + 64)
    for i, note in enumerate(notes):
        out.append(_text(20, ny + 16 * i, note, 11, fill="#444"))
    out.append("</svg>")
    return "\n".join(out) + "\n"
