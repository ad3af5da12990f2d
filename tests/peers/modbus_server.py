#!/usr/bin/python3
"""A real Modbus TCP server for tests/unit/test_modbus.c: Debian's pymodbus
(python3-pymodbus 3.0.0), not a mock.

It holds 1.2345 (0x3F9E0419) as a float32 in holding and input registers
2-3 (wire addresses, as libmodbus counts), encoded by pymodbus's own
BinaryPayloadBuilder in one word order per unit id:
    unit 1 ABCD, unit 2 CDAB, unit 3 BADC, unit 4 DCBA.
It listens on 127.0.0.1 on a port the kernel picks, prints that port on
stdout (one line), and exits when stdin closes or on SIGTERM.

Usage: modbus_server.py   (no arguments)
"""
import asyncio
import logging
import signal
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusTcpServer

VALUE = 1.2345
ORDERS = {  # unit id: (byte order within a word, word order)
    1: (Endian.Big, Endian.Big),        # ABCD
    2: (Endian.Big, Endian.Little),     # CDAB
    3: (Endian.Little, Endian.Big),     # BADC
    4: (Endian.Little, Endian.Little),  # DCBA
}


def slave(byteorder, wordorder):
    builder = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
    builder.add_32bit_float(VALUE)
    regs = [0, 0] + builder.to_registers() + [0] * 12
    # zero_mode: register N is index N (no pymodbus "+1" offset).
    return ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, list(regs)),
                              ir=ModbusSequentialDataBlock(0, list(regs)),
                              zero_mode=True)


async def main():
    logging.disable(logging.CRITICAL)  # pymodbus logs connection chatter
    context = ModbusServerContext(
        slaves={unit: slave(*orders) for unit, orders in ORDERS.items()}, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", 0))
    task = asyncio.create_task(server.serve_forever())
    while server.server is None:
        if task.done():
            task.result()  # raises what went wrong
        await asyncio.sleep(0.01)
    print(server.server.sockets[0].getsockname()[1], flush=True)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(sys.stdin.fileno(),
                    lambda: stop.set() if not sys.stdin.buffer.read1(4096) else None)
    await stop.wait()
    await server.shutdown()
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
