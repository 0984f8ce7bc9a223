import { CODEC_16, CODEC_8, CODEC_8_EXTENDED, type AvlCodecId, type AvlRecord, type IoElement } from '@fleetstream/telemetry';
import { between, createRng, type Rng } from './rng.ts';

/** Where the simulated fleet drives (default: Vilnius, where the Teltonika examples come from). */
export interface City {
  lat: number;
  lon: number;
  /** Radius of the routes around the centre, km. */
  radiusKm: number;
}

export const DEFAULT_CITY: City = { lat: 54.6872, lon: 25.2797, radiusKm: 6 };

const M_PER_DEG_LAT = 111_320;
const CODECS: readonly AvlCodecId[] = [CODEC_8, CODEC_8_EXTENDED, CODEC_16];

/** Teltonika AVL ids the model fills in (the common FMB ids, see libs/telemetry WELL_KNOWN_IO). */
export const IO = { ignition: 239, movement: 240, externalVoltage: 66, batteryVoltage: 67, odometer: 16, fuelLevel: 89, ignitionOnCounter: 449 } as const;

/**
 * One vehicle on a closed route around the city: parked with the ignition off, then a trip with
 * the ignition on (speed varies, position moves along the route, odometer grows, fuel drops,
 * external voltage rises with the alternator), then parked again. Time is simulated: each record
 * advances the vehicle's clock by `recordIntervalSec`, whatever the real send rate.
 */
export class DeviceModel {
  readonly deviceId: string;
  readonly codecId: AvlCodecId;
  readonly #rng: Rng;
  readonly #route: { lat: number; lon: number }[];
  readonly #recordIntervalSec: number;
  #target = 1;
  #lat: number;
  #lon: number;
  #heading = 0;
  #speed = 0;
  #ignition = false;
  #phaseLeftSec: number;
  #fuel: number;
  #odometer: number;
  #ignitionOnSec = 0;
  #clock: number;

  constructor(options: { deviceId: string; index: number; seed: number; startTime: number; city?: City; recordIntervalSec?: number; codecId?: AvlCodecId }) {
    this.deviceId = options.deviceId;
    this.#rng = createRng((options.seed * 7919 + options.index * 104_729) >>> 0);
    const city = options.city ?? DEFAULT_CITY;
    this.codecId = options.codecId ?? CODECS[options.index % CODECS.length]!;
    this.#recordIntervalSec = options.recordIntervalSec ?? 10;
    const points = 4 + Math.floor(this.#rng() * 3);
    const mPerDegLon = M_PER_DEG_LAT * Math.cos((city.lat * Math.PI) / 180);
    this.#route = Array.from({ length: points }, (_, k) => {
      const angle = (2 * Math.PI * k) / points + between(this.#rng, -0.3, 0.3);
      const r = between(this.#rng, 0.3, 1) * city.radiusKm * 1000;
      return { lat: city.lat + (r * Math.cos(angle)) / M_PER_DEG_LAT, lon: city.lon + (r * Math.sin(angle)) / mPerDegLon };
    });
    this.#lat = this.#route[0]!.lat;
    this.#lon = this.#route[0]!.lon;
    this.#phaseLeftSec = between(this.#rng, 0, 300);
    this.#fuel = between(this.#rng, 40, 100);
    this.#odometer = Math.floor(between(this.#rng, 10_000, 300_000)) * 1000;
    this.#clock = options.startTime;
  }

  /** The next `count` records (device clock advancing), as one packet's worth. */
  nextRecords(count: number): AvlRecord[] {
    return Array.from({ length: count }, () => this.#step());
  }

  #step(): AvlRecord {
    const dt = this.#recordIntervalSec;
    this.#clock += dt * 1000;
    let eventIoId = 0;
    this.#phaseLeftSec -= dt;
    if (this.#phaseLeftSec <= 0) {
      this.#ignition = !this.#ignition;
      eventIoId = IO.ignition;
      this.#phaseLeftSec = this.#ignition ? between(this.#rng, 300, 1500) : between(this.#rng, 120, 900);
      if (!this.#ignition && this.#fuel < 15) this.#fuel = between(this.#rng, 85, 100); // refuelled while parked
    }
    if (this.#ignition) {
      this.#ignitionOnSec += dt;
      const targetSpeed = between(this.#rng, 20, 80);
      this.#speed = Math.max(0, Math.min(110, this.#speed + Math.max(-15, Math.min(15, targetSpeed - this.#speed))));
      this.#drive((this.#speed / 3.6) * dt);
    } else {
      this.#speed = 0;
    }
    const moving = this.#speed > 0;
    const extMv = this.#ignition ? Math.round(between(this.#rng, 13_800, 14_300)) : Math.round(between(this.#rng, 12_300, 12_700));
    const io: IoElement[] = [
      { id: IO.ignition, width: 1, value: this.#ignition ? 1 : 0 },
      { id: IO.movement, width: 1, value: moving ? 1 : 0 },
      { id: IO.fuelLevel, width: 1, value: Math.round(this.#fuel) },
      { id: IO.externalVoltage, width: 2, value: extMv },
      { id: IO.batteryVoltage, width: 2, value: Math.round(between(this.#rng, 3_950, 4_150)) },
      { id: IO.odometer, width: 4, value: Math.round(this.#odometer) },
    ];
    if (this.codecId !== CODEC_8) io.push({ id: IO.ignitionOnCounter, width: 4, value: this.#ignitionOnSec });
    const record: AvlRecord = {
      timestamp: this.#clock,
      priority: eventIoId === 0 ? 0 : 1,
      longitude: Math.round(this.#lon * 1e7) / 1e7,
      latitude: Math.round(this.#lat * 1e7) / 1e7,
      altitude: 100 + Math.round(between(this.#rng, 0, 40)),
      angle: Math.round(this.#heading) % 360,
      satellites: 7 + Math.floor(this.#rng() * 8),
      speed: Math.round(this.#speed),
      eventIoId,
      io,
    };
    if (this.codecId === CODEC_16) record.generationType = eventIoId === 0 ? 7 : 5;
    return record;
  }

  /** Moves `metres` along the route (waypoint to waypoint), burning fuel and counting distance. */
  #drive(metres: number): void {
    let left = metres;
    while (left > 0) {
      const to = this.#route[this.#target]!;
      const mPerDegLon = M_PER_DEG_LAT * Math.cos((this.#lat * Math.PI) / 180);
      const dy = (to.lat - this.#lat) * M_PER_DEG_LAT;
      const dx = (to.lon - this.#lon) * mPerDegLon;
      const dist = Math.hypot(dx, dy);
      if (dist > 0) this.#heading = ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360;
      if (dist <= left) {
        this.#lat = to.lat;
        this.#lon = to.lon;
        this.#target = (this.#target + 1) % this.#route.length;
        left -= dist;
        if (dist === 0) break;
      } else {
        this.#lat += (dy / dist) * (left / M_PER_DEG_LAT);
        this.#lon += (dx / dist) * (left / mPerDegLon);
        left = 0;
      }
    }
    this.#odometer += metres;
    this.#fuel = Math.max(0, this.#fuel - (metres / 1000) * 0.13); // ~8 L/100 km of a 60 L tank
  }
}
