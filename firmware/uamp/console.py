"""Line console on the USB serial port: line editing, then one command per line.

Characters arrive one at a time (from an asyncio reader on stdin on the board, from a test in the
simulator). CR, LF and CR LF all end a line; backspace/DEL erase; up/down arrows (ESC [ A/B,
or ESC O A/B from a terminal in application-cursor mode) walk the history; Ctrl-U clears the
line. A control character (CR included) ends an escape sequence, so Enter after a lone ESC
still runs the line. Any other character that is not printable ASCII (a NUL, a Unicode minus,
a byte that is not UTF-8) makes the whole line an error: dropping it would run a different
command ("vol -2<NUL>0" is not "vol -20"). Ctrl-C never arrives here on a board: MicroPython
turns it into KeyboardInterrupt before stdin sees it, and nothing in the firmware disables
that, so the REPL and mpremote keep working. A line
that overflows is refused whole (a cut "vol -40" would be "vol -4"). The commands live in
uamp/commands.py.
"""

from uamp.commands import Commands

MAX_LINE = 80
HISTORY = 8
PROMPT = "> "

_NORMAL, _ESC, _CSI = 0, 1, 2


class Console:
    def __init__(self, app, write):
        self.app = app
        self.write = write
        self.echo = False  # the board's terminal shows what we echo; the simulator does not
        self.line = ""
        self.overflow = False
        self.bad = None  # the first character of the line the console does not take
        self.history = []
        self.recall = 0  # how far back in history the line came from (0 = typing a new one)
        self.escape = _NORMAL
        self.last = ""
        self.commands = Commands(app, self.reply)

    def reply(self, text):
        self.write(text + "\r\n")

    def prompt(self):
        if self.echo:
            self.write(PROMPT)

    def feed(self, text):
        for ch in text:
            self._char(ch)

    def _char(self, ch):
        last = self.last
        self.last = ch
        if self.escape != _NORMAL:
            if " " <= ch <= "~":
                self._escape(ch)
                return
            self.escape = _NORMAL  # a control or non-ASCII character cuts it short: it counts
        if ch == "\r" or ch == "\n":
            if ch == "\n" and last == "\r":
                return  # CR LF is one line end
            self._end_line()
        elif ch == "\x08" or ch == "\x7f":
            if self.line:
                self.line = self.line[:-1]
                if self.echo:
                    self.write("\x08 \x08")
        elif ch == "\x1b":
            self.escape = _ESC
        elif ch == "\x15" or ch == "\x03":  # Ctrl-U, or a Ctrl-C that got through: drop the line
            self._replace("")
            self.overflow = False
            self.bad = None
        elif " " <= ch <= "~":
            if len(self.line) < MAX_LINE:
                self.line += ch
                if self.echo:
                    self.write(ch)
            else:
                self.overflow = True
        elif self.bad is None:
            self.bad = ch  # the line is refused at its end

    def _escape(self, ch):
        if self.escape == _ESC:
            # ESC [ (CSI) or ESC O (SS3, arrows in application-cursor mode): a key follows
            self.escape = _CSI if ch == "[" or ch == "O" else _NORMAL
            return
        if "0" <= ch <= "9" or ch == ";":
            return  # parameters of a longer sequence: wait for its final byte
        self.escape = _NORMAL
        if ch == "A" and self.recall < len(self.history):
            self.recall += 1
            self._replace(self.history[-self.recall])
        elif ch == "B" and self.recall > 0:
            self.recall -= 1
            self._replace(self.history[-self.recall] if self.recall else "")

    def _replace(self, text):
        self.line = text
        self.bad = None
        if self.echo:
            self.write("\r\x1b[K" + PROMPT + text)

    def _end_line(self):
        line = self.line
        overflow = self.overflow
        bad = self.bad
        self.line = ""
        self.overflow = False
        self.bad = None
        self.recall = 0
        if self.echo:
            self.write("\r\n")
        if overflow:
            self.reply("error: line longer than %d characters, ignored" % MAX_LINE)
        elif bad is not None:
            self.reply("error: character U+%04X is not printable ASCII, line ignored" % ord(bad))
        elif line.strip():
            if not self.history or self.history[-1] != line:
                self.history.append(line)
                if len(self.history) > HISTORY:
                    self.history.pop(0)
            self.commands.execute(line)
        self.prompt()
