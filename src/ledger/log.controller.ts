import { Controller, Get, Header, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Auth, CurrentPrincipal, Public } from '../auth/auth.decorators';
import { Principal } from '../auth/principal';
import { ValidationError } from '../common/app-error';
import { CheckpointsQuery, ConsistencyQuery, InclusionQuery, IndexParam } from './dto/log-queries.dto';
import { CheckpointService } from './checkpoint.service';
import { LogService } from './log.service';

@ApiTags('log')
@Controller('v1/log')
export class LogController {
  constructor(
    private readonly log: LogService,
    private readonly checkpoints: CheckpointService,
  ) {}

  @Get('checkpoints')
  @Public()
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({ summary: "The log's stored checkpoints, newest first, paged by tree size (the tree's growth)" })
  checkpointHistory(@Query() { before, limit }: CheckpointsQuery) {
    return this.log.checkpointHistory(before, limit);
  }

  @Get('checkpoint')
  @Public()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @ApiProduces('text/plain')
  @ApiOperation({ summary: 'The latest checkpoint, a C2SP signed note' })
  checkpoint(): string {
    return this.log.latest().note;
  }

  @Post('checkpoint')
  @HttpCode(200)
  @Auth()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: 'Ask for a checkpoint now that covers every entry logged so far; returns it' })
  async publish(): Promise<string> {
    const latest = this.checkpoints.latest();
    const wanted = await this.log.committedSize();
    const checkpoint = wanted > (latest?.size ?? 0) ? await this.checkpoints.waitFor(wanted - 1, 10_000) : latest;
    return (checkpoint ?? this.log.latest()).note;
  }

  @Get('vkey')
  @Public()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @ApiOperation({ summary: "The log's verifier key, in signed-note vkey form" })
  vkey(): string {
    return this.checkpoints.verifierKey + '\n';
  }

  @Get('tile/*path')
  @Public()
  @ApiProduces('application/octet-stream')
  @ApiParam({ name: 'path', example: '0/x001/234.p/5', description: '<L>/<N>[.p/<W>] or entries/<N>[.p/<W>]' })
  @ApiOperation({ summary: 'C2SP tlog-tiles: tile/<L>/<N>[.p/<W>] (hashes) and tile/entries/<N>[.p/<W>] (leaf data)' })
  async tile(@Req() request: Request, @Res() response: Response): Promise<void> {
    const path = request.path.slice(request.path.indexOf('/tile/') + 1);
    const { bytes, full } = await this.log.tile(path);
    response
      .status(200)
      .setHeader('Content-Type', 'application/octet-stream')
      .setHeader('Cache-Control', full ? 'public, max-age=31536000, immutable' : 'no-cache')
      .end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  @Get('entries/:index')
  @Auth()
  @ApiOperation({ summary: 'One logged event with its signature (for the parties it names and for regulators)' })
  entry(@Param() { index }: IndexParam, @CurrentPrincipal() principal: Principal) {
    return this.log.entry(index, principal);
  }

  @Get('proof/inclusion')
  @Public()
  @ApiOperation({ summary: 'RFC 9162 inclusion proof, by index or by leaf hash' })
  inclusion(@Query() query: InclusionQuery) {
    if ((query.index === undefined) === (query.leafHash === undefined)) {
      throw new ValidationError([{ field: 'index', rule: 'oneOf', message: 'give exactly one of index and leafHash' }]);
    }
    if (query.index !== undefined) return this.log.inclusionProof(query.index, query.size);
    const hash = /^[0-9a-f]{64}$/.test(query.leafHash!)
      ? Buffer.from(query.leafHash!, 'hex')
      : Buffer.from(query.leafHash!, 'base64');
    return this.log.inclusionProofByLeafHash(hash, query.size);
  }

  @Get('proof/consistency')
  @Public()
  @ApiOperation({ summary: 'RFC 9162 consistency proof between two tree sizes' })
  consistency(@Query() query: ConsistencyQuery) {
    return this.log.consistencyProof(query.from, query.to);
  }
}
