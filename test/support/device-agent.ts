import net from 'node:net';
import { decodeApdu, type Apdu } from '../../electron/intake/devices/apdu';
import { ApduFramer } from '../../electron/intake/devices/apdu-framer';
import { DATA } from '../../electron/intake/devices/nomenclature';
import { prst } from '../electron/intake/devices/agent-apdus';

/** An agent over TCP: sends APDUs, collects the manager's, answers its GET of the MDS attributes. */
export async function tcpAgent(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  const received: Apdu[] = [];
  const waiters: (() => void)[] = [];
  const framer = new ApduFramer({
    onApdu: (bytes) => {
      const apdu = decodeApdu(bytes);
      if (apdu.type === 'prst' && apdu.data.message.choice === DATA.ROIV_CMIP_GET) {
        socket.write(prst(apdu.data.invokeId, { choice: DATA.RORS_CMIP_GET, objHandle: 0, attributes: [] }));
        return;
      }
      received.push(apdu);
      for (const w of waiters.splice(0)) w();
    },
    onDiscard: () => undefined,
  });
  socket.on('data', (chunk) => framer.push(chunk));
  return {
    send: (bytes: Uint8Array) => socket.write(bytes),
    async next(count: number) {
      while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return received[count - 1]!;
    },
    close: () => socket.end(),
  };
}
