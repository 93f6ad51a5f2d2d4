"""Just enough of AT-SPI (the Linux accessibility bus and registry) to hear what a screen
reader hears: run on a private session bus, it answers Qt's bridge and prints every
``org.a11y.atspi.Event.Object`` signal as one line ``EVENT <member> <json args>``.

Usage: ``fake_atspi.py READY_FILE`` (the file is created once it listens).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jeepney import HeaderFields, MessageType, message_bus, new_method_call, new_method_return
from jeepney.io.blocking import open_dbus_connection


def main(ready: str) -> int:
    conn = open_dbus_connection(bus="SESSION")
    for name in ("org.a11y.Bus", "org.a11y.atspi.Registry"):
        conn.send_and_get_reply(message_bus.RequestName(name))
    rule = "type='signal',interface='org.a11y.atspi.Event.Object'"
    conn.send_and_get_reply(new_method_call(message_bus, "AddMatch", "s", (rule,)))
    Path(ready).touch()
    while True:
        msg = conn.receive()
        fields = msg.header.fields
        member = fields.get(HeaderFields.member)
        if msg.header.message_type == MessageType.method_call:
            if member == "GetAddress":  # the accessibility bus: this same bus
                reply = new_method_return(msg, "s", (os.environ["DBUS_SESSION_BUS_ADDRESS"],))
            elif member == "GetRegisteredEvents":  # a screen reader listens to every object event
                reply = new_method_return(msg, "a(ss)", ([(":1.0", "object:"), (":1.0", "window:")],))
            elif member == "Embed":
                reply = new_method_return(
                    msg, "(so)", (("org.a11y.atspi.Registry", "/org/a11y/atspi/accessible/root"),)
                )
            elif member in ("Get", "GetAll"):
                reply = new_method_return(msg, "v", (("b", True),))
            else:
                reply = new_method_return(msg)
            conn.send(reply)
        elif msg.header.message_type == MessageType.signal:
            print("EVENT", member, json.dumps(msg.body, default=str), flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
