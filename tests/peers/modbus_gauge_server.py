#!/usr/bin/python3
"""A real Modbus server for tests/unit/test_dmm_gauge.c: Debian's pymodbus
(python3-pymodbus 3.0.0), not a mock, holding pressure-gauge register maps
for the "modbus" driver (docs/drivers-dmm-modbus.md).

Values are encoded by pymodbus's own BinaryPayloadBuilder, the same in
holding and input registers (function 3 and 4), one map per unit id:
  unit 1-4  the KELLER Series 30 map (protocols.md 3.3) with the floats in
            word order ABCD (1), CDAB (2), BADC (3), DCBA (4):
              0x0000 CH0 = P1, 0x0002 P1 = 1.2345 bar, 0x0004 P2 = NaN,
              0x0006 T = 21.5, 0x0008 TOB1 = 21.5 degC, 0x000A TOB2 = NaN,
              0x0012 P1 as int32 in 1/100 mbar = 123450, in the same order
  unit 5    the generic transmitter map v1 (protocols.md 3.4): 0x0000
            address 5, 0x0001 baud code 3, 0x0002 unit code 3 (bar),
            0x0003 decimal places 3, 0x0004 value 1234 (1.234 bar),
            0x0005 range zero 0, 0x0006 full scale 10000
  unit 6    the same map: unit code 1 (kPa), 1 decimal place, value -123
            (-12.3 kPa)
  unit 7    the KELLER map (ABCD) with P1 = NaN (a channel error)
Other units get pymodbus's exception for a missing slave (or nothing).

Usage: modbus_gauge_server.py              Modbus TCP on 127.0.0.1, a port
                                            the kernel picks, printed on
                                            stdout (one line)
       modbus_gauge_server.py --rtu DEV    Modbus RTU on the serial device
                                            DEV (9600 8N1), "ready" printed
                                            once it is open
It exits when stdin closes or on SIGTERM.
"""
import asyncio
import logging
import signal
import sys

from pymodbus.constants import Endian
from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.payload import BinaryPayloadBuilder
from pymodbus.server.async_io import ModbusSerialServer, ModbusTcpServer

ORDERS = {  # unit id: (byte order within a word, word order)
    1: (Endian.Big, Endian.Big),        # ABCD
    2: (Endian.Big, Endian.Little),     # CDAB
    3: (Endian.Little, Endian.Big),     # BADC
    4: (Endian.Little, Endian.Little),  # DCBA
}
NAN = float("nan")


def keller_regs(byteorder, wordorder, p1=1.2345):
    b = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
    for value in (p1, p1, NAN, 21.5, 21.5, NAN):   # 0x0000-0x000B
        b.add_32bit_float(value)
    regs = b.to_registers() + [0] * 6              # 0x000C-0x0011
    b = BinaryPayloadBuilder(byteorder=byteorder, wordorder=wordorder)
    b.add_32bit_int(123450)                        # 0x0012: P1 in 1/100 mbar
    regs += b.to_registers()
    return regs + [0] * 12


def generic_regs(address, unit_code, dp, value):
    b = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=Endian.Big)
    for v in (address, 3, unit_code, dp):
        b.add_16bit_uint(v)
    b.add_16bit_int(value)
    b.add_16bit_uint(0)
    b.add_16bit_uint(10000)
    return b.to_registers() + [0] * 16


def slave(regs):
    # zero_mode: register N is index N (no pymodbus "+1" offset).
    return ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, list(regs)),
                              ir=ModbusSequentialDataBlock(0, list(regs)),
                              zero_mode=True)


def context():
    slaves = {unit: slave(keller_regs(*orders)) for unit, orders in ORDERS.items()}
    slaves[5] = slave(generic_regs(5, 3, 3, 1234))
    slaves[6] = slave(generic_regs(6, 1, 1, -123))
    slaves[7] = slave(keller_regs(Endian.Big, Endian.Big, p1=NAN))
    return ModbusServerContext(slaves=slaves, single=False)


async def main(args):
    logging.disable(logging.CRITICAL)  # pymodbus logs connection chatter
    if args and (len(args) != 2 or args[0] != "--rtu"):
        sys.stderr.write(__doc__)
        return 2
    if args:
        server = ModbusSerialServer(context(), framer=ModbusRtuFramer, port=args[1],
                                    baudrate=9600, bytesize=8, parity="N", stopbits=1,
                                    timeout=0.05)
        await server.start()
        if server.transport is None:
            raise RuntimeError(f"cannot open {args[1]}")
        task = None
        print("ready", flush=True)
    else:
        server = ModbusTcpServer(context(), address=("127.0.0.1", 0))
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
    if task is not None:
        task.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
