#!/usr/bin/python3
"""A real Modbus client for tests/unit/test_modbus.c: Debian's pymodbus
(python3-pymodbus 3.0.0) reading our simulator, not a mock.

Usage: modbus_client.py PORT ORDER [PORT ORDER ...]
  PORT   tcp:HOST:PORT (Modbus TCP) or a serial device such as a pty slave
         (Modbus RTU, 9600 8N1)
  ORDER  ABCD, CDAB, BADC or DCBA
For each pair, from unit 1 it reads the KELLER map's P1 float at 0x0002
with function 3 and with function 4, and TOB1 at 0x0008 (function 3),
decodes them with pymodbus's own BinaryPayloadDecoder in that word order,
and prints one line:  ORDER P1_FC3 P1_FC4 TOB1   (%.6g each), or
ORDER error TEXT  when a request failed. Exit status 0 unless the
arguments are wrong.
"""
import logging
import sys

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.framer.rtu_framer import ModbusRtuFramer
from pymodbus.payload import BinaryPayloadDecoder

ORDERS = {  # (byte order within a word, word order)
    "ABCD": (Endian.Big, Endian.Big),
    "CDAB": (Endian.Big, Endian.Little),
    "BADC": (Endian.Little, Endian.Big),
    "DCBA": (Endian.Little, Endian.Little),
}


def client_for(port):
    if port.startswith("tcp:"):
        host, _, number = port[4:].rpartition(":")
        return ModbusTcpClient(host, port=int(number), timeout=2, retries=0)
    return ModbusSerialClient(port=port, framer=ModbusRtuFramer, baudrate=9600,
                              bytesize=8, parity="N", stopbits=1, timeout=2, retries=0)


def read_float(client, fc, address, order):
    read = client.read_holding_registers if fc == 3 else client.read_input_registers
    rsp = read(address, 2, slave=1)
    if rsp.isError():
        raise RuntimeError(str(rsp))
    byteorder, wordorder = ORDERS[order]
    return BinaryPayloadDecoder.fromRegisters(
        rsp.registers, byteorder=byteorder, wordorder=wordorder).decode_32bit_float()


def main(args):
    if len(args) < 2 or len(args) % 2 or any(o not in ORDERS for o in args[1::2]):
        sys.stderr.write(__doc__)
        return 2
    logging.disable(logging.CRITICAL)
    for port, order in zip(args[0::2], args[1::2]):
        client = None
        try:
            client = client_for(port)
            if not client.connect():
                raise RuntimeError("cannot connect")
            values = [read_float(client, 3, 0x0002, order), read_float(client, 4, 0x0002, order),
                      read_float(client, 3, 0x0008, order)]
            print(order, " ".join(f"{v:.6g}" for v in values), flush=True)
        except Exception as e:  # report, do not crash: the C test reads the line
            print(order, "error", str(e).replace("\n", " "), flush=True)
        finally:
            if client is not None:
                client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
