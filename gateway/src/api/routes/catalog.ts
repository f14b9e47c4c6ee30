import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CatalogCategoryList, CatalogServiceList } from '@packetpilot/protocol';
import type { AppDeps } from '../deps.js';

export const catalogRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/catalog/services',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['catalog'],
          summary: 'Known services (YouTube, TikTok, Steam, …) with their category and domains',
          response: { 200: CatalogServiceList },
        },
      },
      async () => deps.catalog.services(),
    );

    app.get(
      '/catalog/categories',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['catalog'],
          summary: 'Service categories (social, video, gaming, …) with their services',
          response: { 200: CatalogCategoryList },
        },
      },
      async () => deps.catalog.categories(),
    );
  };
