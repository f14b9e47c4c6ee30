import { Type, type Static } from 'typebox';

export const BypassKind = Type.Union(
  [
    Type.Literal('encrypted-dns'),
    Type.Literal('vpn'),
    Type.Literal('proxies'),
    Type.Literal('tor'),
    Type.Literal('apple-private-relay'),
    Type.Literal('browsers'),
    Type.Literal('linux'),
  ],
  { description: 'Which list of the bypass catalogue a name is on (DoH/DoT endpoints, VPN, proxies, …)' },
);
export type BypassKind = Static<typeof BypassKind>;

export const CatalogService = Type.Object({
  id: Type.String({ description: "Stable id, e.g. 'youtube' (the catalogue file's name)" }),
  name: Type.String({ description: 'Display name' }),
  category: Type.Union([Type.String(), Type.Null()], { description: 'Category id' }),
  domainCount: Type.Integer(),
  domains: Type.Array(Type.String(), {
    description: 'Each matches itself and its subdomains; lower-case, sorted',
  }),
});
export type CatalogService = Static<typeof CatalogService>;

export const CatalogServiceList = Type.Array(CatalogService, { description: 'Sorted by id' });

export const CatalogCategory = Type.Object({
  id: Type.String({ description: "Stable id, e.g. 'video'" }),
  name: Type.String({ description: 'Display name' }),
  services: Type.Array(Type.String(), { description: 'Service ids in this category' }),
});
export type CatalogCategory = Static<typeof CatalogCategory>;

export const CatalogCategoryList = Type.Array(CatalogCategory);
