import { Type, type Static } from 'typebox';

export const DeviceId = Type.Integer({ minimum: 1, description: 'Stable device id (one per MAC)' });

export const Device = Type.Object(
  {
    id: DeviceId,
    mac: Type.String({ description: 'MAC address, lowercase, colon-separated: the stable identity' }),
    ips: Type.Array(Type.String(), { description: 'Addresses seen for this device, newest first' }),
    name: Type.Union([Type.String(), Type.Null()], { description: 'Name set by an admin' }),
    hostname: Type.Union([Type.String(), Type.Null()]),
    vendor: Type.Union([Type.String(), Type.Null()], { description: 'From the MAC OUI' }),
    firstSeen: Type.String({ format: 'date-time' }),
    lastSeen: Type.String({ format: 'date-time' }),
    online: Type.Boolean({ description: 'Seen in the neighbour table recently' }),
    bypassPrevention: Type.Boolean({
      description:
        'DNS to other servers redirected to the gateway; DoT, DoH, VPN and proxy endpoints dropped',
    }),
    blockQuic: Type.Boolean({ description: 'UDP 443 dropped so browsers fall back to TCP' }),
    rxBytes: Type.Number({ description: 'All-time bytes received by the device (download), IP layer' }),
    txBytes: Type.Number({ description: 'All-time bytes sent by the device (upload), IP layer' }),
  },
  { $id: 'Device' },
);
export type Device = Static<typeof Device>;

export const DeviceList = Type.Array(Device);

export const DeviceParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export type DeviceParams = Static<typeof DeviceParams>;

export const DevicePatch = Type.Object(
  {
    name: Type.Optional(
      Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()], {
        description: 'New name; null returns to the discovered hostname',
      }),
    ),
    bypassPrevention: Type.Optional(Type.Boolean()),
    blockQuic: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type DevicePatch = Static<typeof DevicePatch>;
