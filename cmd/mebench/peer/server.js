#!/usr/bin/env node
// me-bench-peer: a node-soap server that serves ME's portal WSDL and answers
// GetEService from memory with the demo e-service "bygglov", so that a
// benchmark can set ME's GetEService throughput beside a stock SOAP stack's.
//
//   node server.js --port N --wsdl /abs/path/wsdl/portal.wsdl
//
// Listens on 127.0.0.1:N at /soap/portal (GET /soap/portal?wsdl gives the
// WSDL back), prints "listening" on stdout once the WSDL and its schemas are
// loaded and the port is open, and exits on SIGTERM or SIGINT. Requests go
// through node-soap's own parsing and dispatch; every operation other than
// GetEService answers ME's NotImplemented fault. Nothing is authenticated
// and nothing is validated against the schema: this is a yardstick, not ME.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');
const soap = require('soap');

const PATH = '/soap/portal';
const SERVICE = 'PortalService';
const PORT_NAME = 'PortalPort';
const COMMON_NS = 'http://minaengagemang.se/schema/common/v1';
const FAULT_NS = 'http://minaengagemang.se/schema/fault/v1';

function usage(msg) {
  if (msg) process.stderr.write(`server.js: ${msg}\n`);
  process.stderr.write('usage: node server.js --port N --wsdl /abs/path/wsdl/portal.wsdl\n');
  process.exit(2);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    let [key, val] = argv[i].split(/=(.*)/s, 2);
    if (key !== '--port' && key !== '--wsdl') usage(`unknown argument ${argv[i]}`);
    if (val === undefined) {
      val = argv[++i];
      if (val === undefined) usage(`${key} needs a value`);
    }
    out[key.slice(2)] = val;
  }
  const port = Number(out.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be a port number');
  if (!out.wsdl) usage('--wsdl is required');
  return { port, wsdl: path.resolve(out.wsdl) };
}

// The demo e-service as config/demo.yaml publishes it; published is fixed
// rather than the time ME started.
const DEMO = {
  id: 'bygglov',
  organisationNumber: '2120009994',
  organisationName: 'Demo kommun',
  name: { sv: 'Ansökan om bygglov', en: 'Building permit application' },
  description: {
    sv: 'Ansök om bygglov för nybyggnad, tillbyggnad eller ändrad användning av en byggnad. Bifoga ritningar och situationsplan.',
    en: 'Apply for a building permit for a new building, an extension or a change of use. Attach drawings and a site plan.',
  },
  area: ['bygga-bo'],
  startUrl: 'http://127.0.0.1:8080/demo/etjanst/bygglov',
  ticketParameter: 'ticket',
  authenticationLevel: 3,
  contact: {
    name: 'Bygglovsenheten, Demo kommun',
    email: 'bygglov@demo.example',
    phone: '010-123 45 00',
    url: 'http://127.0.0.1:8080/demo/',
  },
  published: '2026-11-01T08:00:00Z',
};

// node-soap writes every element under GetEServiceResponse in the portal
// namespace, but EService's children are in the common namespace
// (common.xsd, elementFormDefault qualified). So the keys carry a "c:"
// prefix, which node-soap writes as it is, and eService declares it.
function qualify(value) {
  if (Array.isArray(value)) return value.map(qualify);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) out[`c:${k}`] = qualify(v);
  return out;
}

const eService = { attributes: { 'xmlns:c': COMMON_NS }, ...qualify(DEMO) };

// An ME fault (xsd/fault.xsd) as node-soap sends a thrown SOAP 1.1 Fault,
// the detail's MEFault declaring its own namespace.
function meFault(code, message) {
  return {
    Fault: {
      faultcode: code === 'NotImplemented' || code === 'Internal' ? 'soap:Server' : 'soap:Client',
      faultstring: `${code}: ${message}`,
      detail: { 'f:MEFault': { attributes: { 'xmlns:f': FAULT_NS }, 'f:code': code, 'f:message': message } },
      statusCode: 500,
    },
  };
}

function getEService(args) {
  const id = args && args.eServiceId;
  const org = args && args.organisationNumber;
  if (id !== DEMO.id || (org !== undefined && org !== DEMO.organisationNumber)) {
    throw meFault('NotFound', `no published e-service ${id} of organisation ${org || DEMO.organisationNumber}`);
  }
  return { eService };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  let xml;
  try {
    xml = fs.readFileSync(opts.wsdl, 'utf8');
  } catch (err) {
    process.stderr.write(`server.js: reading the WSDL: ${err.message}\n`);
    process.exit(1);
  }

  const port = { GetEService: getEService };
  const services = { [SERVICE]: { [PORT_NAME]: port } };
  const server = http.createServer();
  server.keepAliveTimeout = 65000;

  server.on('error', (err) => {
    process.stderr.write(`server.js: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(opts.port, '127.0.0.1', () => {
    soap.listen(server, {
      path: PATH,
      services,
      xml,
      // uri lets node-soap resolve the WSDL's ../xsd/*.xsd imports.
      uri: opts.wsdl,
      // res.end(body) sends a Content-Length instead of chunks.
      enableChunkedEncoding: false,
      callback(err, soapServer) {
        if (err) {
          process.stderr.write(`server.js: loading ${opts.wsdl}: ${err.message || err}\n`);
          process.exit(1);
        }
        const methods = soapServer.wsdl.definitions.services[SERVICE].ports[PORT_NAME].binding.methods;
        for (const name of Object.keys(methods)) {
          if (!port[name]) {
            port[name] = () => {
              throw meFault('NotImplemented', `${name} is not served by the benchmark peer; only GetEService is`);
            };
          }
        }
        process.stdout.write('listening\n');
      },
    });
  });

  const stop = () => {
    server.close();
    if (server.closeAllConnections) server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
