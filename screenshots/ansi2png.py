#!/usr/bin/python3
"""Render a terminal capture with ANSI colours (tmux capture-pane -p -e)
into a PNG, one monospace cell per character. Needs python3-pil and
fonts-dejavu-core (Debian).

Usage: ansi2png.py COLS ROWS < capture.ansi > screen.png
"""
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 13
FG, BG = (220, 220, 220), (24, 24, 28)

# xterm's 16 colours.
BASE = [(0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16),
        (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
        (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
        (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255)]


def color256(n):
    if n < 16:
        return BASE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def sgr(params, st):
    ps = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(ps):
        p = ps[i]
        if p == 0:
            st.update(fg=None, bg=None, bold=False, dim=False, rev=False, ul=False)
        elif p == 1:
            st["bold"] = True
        elif p == 2:
            st["dim"] = True
        elif p == 4:
            st["ul"] = True
        elif p == 7:
            st["rev"] = True
        elif p == 22:
            st["bold"] = st["dim"] = False
        elif p == 24:
            st["ul"] = False
        elif p == 27:
            st["rev"] = False
        elif 30 <= p <= 37:
            st["fg"] = BASE[p - 30]
        elif 90 <= p <= 97:
            st["fg"] = BASE[p - 90 + 8]
        elif 40 <= p <= 47:
            st["bg"] = BASE[p - 40]
        elif 100 <= p <= 107:
            st["bg"] = BASE[p - 100 + 8]
        elif p == 39:
            st["fg"] = None
        elif p == 49:
            st["bg"] = None
        elif p in (38, 48) and i + 1 < len(ps):
            if ps[i + 1] == 5 and i + 2 < len(ps):
                c = color256(ps[i + 2])
                i += 2
            elif ps[i + 1] == 2 and i + 4 < len(ps):
                c = tuple(ps[i + 2:i + 5])
                i += 4
            else:
                c = None
            st["fg" if p == 38 else "bg"] = c
        i += 1


def main():
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    text = sys.stdin.read()
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(BOLD, SIZE)
    cw = round(font.getlength("M"))
    ch = SIZE + 4
    img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), BG)
    d = ImageDraw.Draw(img)
    st = dict(fg=None, bg=None, bold=False, dim=False, rev=False, ul=False)
    tok = re.compile(r"\x1b\[([0-9;]*)([A-Za-z])|\x1b[()][0-9A-Za-z]|(.)", re.S)
    for y, line in enumerate(text.split("\n")[:rows]):
        x = 0
        for m in tok.finditer(line):
            if m.group(2) == "m":
                sgr(m.group(1), st)
                continue
            c = m.group(3)
            if c is None or c == "\r" or x >= cols:
                continue
            fg, bg = st["fg"] or FG, st["bg"] or BG
            if st["dim"]:
                fg = tuple(v * 6 // 10 for v in fg)
            if st["rev"]:
                fg, bg = bg, fg
            px, py = 8 + x * cw, 8 + y * ch
            if bg != BG:
                d.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if c in "│┤├┼┌┐└┘╭╮╰╯─┬┴":
                draw_box(d, c, px, py, cw, ch, fg)
            elif "\u2581" <= c <= "\u2588":
                h = (ord(c) - 0x2580) * ch // 8
                d.rectangle([px, py + ch - h, px + cw - 1, py + ch - 1], fill=fg)
            elif c != " ":
                d.text((px, py + 1), c, font=bold if st["bold"] else font, fill=fg)
            if st["ul"]:
                d.line([px, py + ch - 2, px + cw - 1, py + ch - 2], fill=fg)
            x += 1
    img = img.convert("P", palette=Image.ADAPTIVE, colors=64)
    img.save(sys.stdout.buffer, "PNG", optimize=True)


def draw_box(d, c, px, py, cw, ch, fg):
    """Box-drawing lines drawn edge to edge, so that they join."""
    cx, cy = px + cw // 2, py + ch // 2
    left = c in "─┤┼┐┘╮╯┬┴"
    right = c in "─├┼┌└╭╰┬┴"
    up = c in "│┤├┼└┘╰╯┴"
    down = c in "│┤├┼┌┐╭╮┬"
    if left:
        d.line([px, cy, cx, cy], fill=fg)
    if right:
        d.line([cx, cy, px + cw - 1, cy], fill=fg)
    if up:
        d.line([cx, py, cx, cy], fill=fg)
    if down:
        d.line([cx, cy, cx, py + ch - 1], fill=fg)


if __name__ == "__main__":
    main()
