/** The packets both parse benches read: raw Codec 8 TCP packets of one record each, numbered i. */
import { CODEC_8, encodeTcpPacket } from '@fleetstream/telemetry';

/** Packet number `i`: one record, its time, position and an I/O value varying with i. */
export const benchPacket = (i: number): Buffer =>
  encodeTcpPacket({
    codecId: CODEC_8,
    records: [
      {
        timestamp: 1_700_000_000_000 + i * 1000,
        priority: 0,
        longitude: 25.1 + (i % 1000) / 1e4,
        latitude: 54.6 + (i % 777) / 1e4,
        altitude: 120,
        angle: i % 360,
        satellites: 9,
        speed: i % 90,
        eventIoId: 0,
        io: [
          { id: 239, width: 1, value: 1 },
          { id: 240, width: 1, value: 1 },
          { id: 66, width: 2, value: 12800 },
          { id: 16, width: 4, value: i },
        ],
      },
    ],
  });
