"""Line console on the USB serial port.

Characters arrive one at a time (from an asyncio reader on the board, from a test in the
simulator); a full line is parsed and answered with one or more lines through `write`.
Bad input gets one clear error line and changes nothing.
"""

MAX_LINE = 80


class Console:
    def __init__(self, app, write):
        self.app = app
        self.write = write
        self.line = ""
        self.commands = {"help": self.cmd_help, "vol": self.cmd_vol, "version": self.cmd_version}

    def feed(self, text):
        for ch in text:
            if ch in "\r\n":
                line = self.line
                self.line = ""
                if line.strip():
                    self.execute(line)
            elif ch in "\x08\x7f":
                self.line = self.line[:-1]
            elif len(self.line) < MAX_LINE:
                self.line += ch

    def reply(self, text):
        self.write(text + "\r\n")

    def execute(self, line):
        words = line.split()
        handler = self.commands.get(words[0])
        if handler is None:
            self.reply("error: unknown command '%s' (try 'help')" % words[0])
            return
        try:
            handler(words[1:])
        except ValueError as e:
            self.reply("error: %s" % e)

    def cmd_help(self, _args):
        self.reply("commands: " + " ".join(sorted(self.commands)))
        self.reply("vol [dB]   show or set the volume, e.g. 'vol -20'")

    def cmd_version(self, _args):
        from uamp import VERSION

        self.reply("uamp %s" % VERSION)

    def cmd_vol(self, args):
        volume = self.app.volume
        if len(args) > 1:
            raise ValueError("usage: vol [dB]")
        if args:
            try:
                db = float(args[0])
            except ValueError:
                raise ValueError("not a number of dB: '%s'" % args[0])
            volume.set_db(db)
        self.reply("vol %.1f dB" % volume.target_db)
