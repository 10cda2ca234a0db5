import { Controller, DynamicModule, Get, Header, Inject, Logger, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import fastifyStatic from '@fastify/static';
// fastify is @nestjs/platform-fastify's dependency: only its types are used here.
import type { FastifyInstance } from 'fastify';
import { findDashboardAssets } from './dashboard-assets';

/** Asset names carry a content hash (build script), so browsers may keep them for good; the page itself is revalidated. */
const HASHED_ASSET = /-[A-Z0-9]{8}\.(js|css)(\.gz|\.br)?$/;

/** Served at / when the page was not built: says how to build it instead of a bare 404. */
@ApiExcludeController()
@Controller()
class DashboardNotBuiltController {
  @Get()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  notBuilt(): string {
    return 'The dashboard is not built: run `npm run build:dashboard`, then restart the gateway. The API is at /analytics and /docs.\n';
  }
}

/**
 * The dashboard page (apps/analytics-gateway/dashboard, built into dist/dashboard) at `/`: static
 * files only, served by Fastify straight from disk (gzip and brotli copies made by the build are
 * sent to browsers that take them). The page reads the public /analytics API like any client,
 * so it needs no API key itself; its requests carry the user's.
 */
/** The built page's folder, found once when the module is set up; null when it was not built. */
const DASHBOARD_ROOT = Symbol('DASHBOARD_ROOT');

@Module({})
export class DashboardModule implements OnModuleInit {
  private readonly logger = new Logger('Dashboard');

  /** Looks for the built page now (not when this file is loaded), so a build made just before start-up is found. */
  static register(): DynamicModule {
    const root = findDashboardAssets() ?? null;
    return {
      module: DashboardModule,
      controllers: root ? [] : [DashboardNotBuiltController],
      providers: [{ provide: DASHBOARD_ROOT, useValue: root }],
    };
  }

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(DASHBOARD_ROOT) private readonly root: string | null,
  ) {}

  onModuleInit(): void {
    const root = this.root;
    if (!root) {
      this.logger.warn('dashboard not built (no dist/dashboard/index.html above the gateway): / explains how to build it');
      return;
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Registered before the server is ready (Nest calls this during app.init()); one route per
    // file found now (wildcard: false), so any other path stays the API's JSON 404.
    void fastify.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      decorateReply: false,
      preCompressed: true,
      index: ['index.html'],
      cacheControl: false,
      setHeaders: (reply, filePath) => {
        reply.header('Cache-Control', HASHED_ASSET.test(filePath) ? 'public, max-age=31536000, immutable' : 'no-cache');
        reply.header('X-Content-Type-Options', 'nosniff');
      },
    });
    this.logger.log(`dashboard served at / from ${root}`);
  }
}
