// The demo web service: /health answers 200 once it listens, /version says which release runs.
const http = require('node:http');

const port = Number(process.env.PORT || 4791);
const version = process.env.VERSION || 'dev';
http
  .createServer((req, res) => {
    if (req.url === '/health') return res.end('ok');
    if (req.url === '/version') return res.end(version);
    res.statusCode = 404;
    res.end();
  })
  .listen(port, '127.0.0.1', () => console.log(`listening on ${port}, version ${version}`));
process.on('SIGTERM', () => process.exit(0));
