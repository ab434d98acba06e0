/**
 * APP_JS is the console's script: plain browser JavaScript (no framework, no build step, nothing
 * fetched from elsewhere). It routes on the URL hash, polls the JSON API every two seconds, and
 * builds the DOM with textContent only, so message bytes can never inject markup.
 */
export const APP_JS = String.raw`(function () {
  'use strict'
  var POLL_MS = 2000
  var main = document.getElementById('main')
  var statusEl = document.getElementById('status')
  var overview = null
  var openDetails = {}
  var pollTimer = null
  var browse = { topic: '', partition: '0', mode: 'offset', offset: '0', time: '', limit: '20', as: 'text' }

  function el(tag, attrs, children) {
    var node = document.createElement(tag)
    attrs = attrs || {}
    Object.keys(attrs).forEach(function (k) {
      if (k === 'text') node.textContent = String(attrs[k])
      else if (k === 'class') node.className = attrs[k]
      else if (k === 'on') Object.keys(attrs.on).forEach(function (ev) { node.addEventListener(ev, attrs.on[ev]) })
      else if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) node.setAttribute(k, String(attrs[k]))
    })
    ;(children || []).forEach(function (c) { if (c !== null && c !== undefined) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c) })
    return node
  }

  function table(headers, rows, attrs) {
    var head = el('tr', {}, headers.map(function (h) { return el('th', { text: h.label, class: h.num ? 'num' : '' }) }))
    return el('table', attrs || {}, [el('thead', {}, [head]), el('tbody', {}, rows)])
  }

  function td(value, num, extra) {
    var attrs = Object.assign({ text: value === null || value === undefined ? '-' : value, class: num ? 'num' : '' }, extra || {})
    return el('td', attrs)
  }

  function api(path, options) {
    return fetch(path, options).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error(body && body.error ? body.error : r.status + ' ' + r.statusText)
        return body
      })
    })
  }

  function post(path, body) {
    return api(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tributary-action': '1' }, body: JSON.stringify(body) })
  }

  function setStatus(text, error) {
    statusEl.textContent = text
    statusEl.className = error ? 'error' : ''
  }

  function sparkline(values) {
    var w = 140, h = 26
    var ns = 'http://www.w3.org/2000/svg'
    var svg = document.createElementNS(ns, 'svg')
    svg.setAttribute('class', 'spark')
    svg.setAttribute('width', w)
    svg.setAttribute('height', h)
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h)
    var max = Math.max.apply(null, [1].concat(values))
    var n = Math.max(values.length - 1, 1)
    var points = values.map(function (v, i) { return ((i / n) * (w - 2) + 1).toFixed(1) + ',' + (h - 2 - (v / max) * (h - 4)).toFixed(1) })
    if (points.length === 1) points.push(points[0])
    var line = document.createElementNS(ns, 'polyline')
    line.setAttribute('points', points.join(' '))
    svg.appendChild(line)
    return svg
  }

  function detailsBlock(key, summary, body) {
    var d = el('details', { open: openDetails[key] ? 'open' : null, 'data-key': key }, [el('summary', { text: summary })].concat(body))
    d.addEventListener('toggle', function () { openDetails[key] = d.open })
    return d
  }

  function decodeBytes(b64, as) {
    if (b64 === null) return null
    var bin = atob(b64)
    if (as === 'hex') {
      var out = []
      for (var i = 0; i < bin.length; i++) out.push(('0' + bin.charCodeAt(i).toString(16)).slice(-2))
      return out.join(' ')
    }
    var bytes = new Uint8Array(bin.length)
    for (var j = 0; j < bin.length; j++) bytes[j] = bin.charCodeAt(j)
    var text = new TextDecoder().decode(bytes)
    if (as === 'json') {
      try { return JSON.stringify(JSON.parse(text), null, 2) } catch (e) { return text }
    }
    return text
  }

  // ---- pages ---------------------------------------------------------------------------------

  function topicsPage() {
    return api('/api/topics').then(function (topics) {
      var nodes = [el('h2', { text: 'Topics' })]
      if (overview && overview.actions) nodes.push(createTopicForm())
      var rows = topics.map(function (t) {
        return el('tr', { 'data-testid': 'topic-row-' + t.name }, [
          td(t.name),
          td(t.partitions.length, true),
          td(t.messages, true, { 'data-testid': 'topic-messages-' + t.name }),
          td(t.partitions.reduce(function (n, p) { return n + p.endOffset }, 0), true),
          td(t.ratePerSec.toFixed(1), true),
          el('td', {}, [sparkline(t.rates)]),
        ])
      })
      nodes.push(table([{ label: 'Topic' }, { label: 'Partitions', num: true }, { label: 'Messages', num: true }, { label: 'End offsets', num: true }, { label: 'msg/s', num: true }, { label: 'Last minutes' }], rows, { 'data-testid': 'topics-table' }))
      if (topics.length === 0) nodes.push(el('p', { class: 'muted', text: 'No topics yet.' }))
      nodes.push(el('h3', { text: 'Partitions' }))
      topics.forEach(function (t) {
        var prow = t.partitions.map(function (p) {
          return el('tr', {}, [td(p.partition, true), td(p.leader < 0 ? '-' : p.leader, true), td(p.replicas.join(', ')), td(p.isr.join(', ')), td(p.startOffset, true), td(p.endOffset, true)])
        })
        nodes.push(detailsBlock('topic:' + t.name, t.name + ' (' + t.partitions.length + ' partitions)', [
          table([{ label: 'Partition', num: true }, { label: 'Leader', num: true }, { label: 'Replicas' }, { label: 'ISR' }, { label: 'Start', num: true }, { label: 'End', num: true }], prow),
        ]))
      })
      return nodes
    })
  }

  function createTopicForm() {
    var name = el('input', { name: 'topic', placeholder: 'topic name', required: 'required' })
    var parts = el('input', { name: 'partitions', type: 'number', min: '1', placeholder: 'default' })
    var form = el('form', { 'data-testid': 'create-topic' }, [el('label', {}, ['Create topic', name]), el('label', {}, ['Partitions', parts]), el('button', { type: 'submit', text: 'Create' })])
    form.addEventListener('submit', function (e) {
      e.preventDefault()
      post('/api/topics', { topic: name.value, partitions: parts.value }).then(function () { refresh() }, function (err) { setStatus(err.message, true) })
    })
    return form
  }

  function groupsPage() {
    return api('/api/groups').then(function (groups) {
      var nodes = [el('h2', { text: 'Consumer groups' })]
      var rows = groups.map(function (g) {
        return el('tr', { 'data-testid': 'group-row-' + g.groupId }, [
          td(g.groupId), td(g.state), td(g.members.length, true),
          td(g.lag, true, { class: 'num ' + (g.lag === 0 ? 'lag-ok' : 'lag-behind'), 'data-testid': 'group-lag-' + g.groupId }),
        ])
      })
      nodes.push(table([{ label: 'Group' }, { label: 'State' }, { label: 'Members', num: true }, { label: 'Lag', num: true }], rows, { 'data-testid': 'groups-table' }))
      if (groups.length === 0) nodes.push(el('p', { class: 'muted', text: 'No consumer groups yet.' }))
      groups.forEach(function (g) {
        var members = g.members.map(function (m) {
          return el('tr', {}, [td(m.memberId), td(m.clientId), td(m.clientHost || '-'), td(m.assignment.map(function (a) { return a.topic + '-' + a.partition }).join(', ') || '-')])
        })
        var lag = g.partitions.map(function (p) {
          return el('tr', {}, [td(p.topic), td(p.partition, true), td(p.committedOffset, true), td(p.endOffset, true), td(p.lag, true, { class: 'num ' + (p.lag === 0 ? 'lag-ok' : 'lag-behind') }), td(p.owner || '-')])
        })
        var body = [
          el('p', { class: 'muted', text: 'protocol ' + (g.protocol || '-') + ', generation ' + g.generationId }),
          el('h3', { text: 'Members' }),
          members.length ? table([{ label: 'Member' }, { label: 'Client' }, { label: 'Host' }, { label: 'Assignment' }], members) : el('p', { class: 'muted', text: 'No members.' }),
          el('h3', { text: 'Lag per partition' }),
          table([{ label: 'Topic' }, { label: 'Partition', num: true }, { label: 'Committed', num: true }, { label: 'End', num: true }, { label: 'Lag', num: true }, { label: 'Owner' }], lag),
        ]
        if (overview && overview.actions) body.push(resetForm(g))
        nodes.push(detailsBlock('group:' + g.groupId, g.groupId, body))
      })
      return nodes
    })
  }

  function resetForm(g) {
    var topics = Array.from(new Set(g.partitions.map(function (p) { return p.topic })))
    var topic = el('select', { name: 'topic' }, topics.map(function (t) { return el('option', { value: t, text: t }) }))
    var to = el('select', { name: 'to' }, ['earliest', 'latest', 'offset'].map(function (t) { return el('option', { value: t, text: t }) }))
    var offset = el('input', { name: 'offset', type: 'number', min: '0', placeholder: 'offset' })
    var form = el('form', {}, [el('label', {}, ['Reset offsets of', topic]), el('label', {}, ['to', to]), el('label', {}, ['Offset', offset]), el('button', { type: 'submit', text: 'Reset' })])
    form.addEventListener('submit', function (e) {
      e.preventDefault()
      post('/api/groups/' + encodeURIComponent(g.groupId) + '/reset', { topic: topic.value, to: to.value, offset: offset.value }).then(function () { refresh() }, function (err) { setStatus(err.message, true) })
    })
    return form
  }

  function messagesPage() {
    return api('/api/topics').then(function (topics) {
      if (!browse.topic && topics.length) browse.topic = topics[0].name
      var topic = el('select', { name: 'topic', 'data-testid': 'browse-topic' }, topics.map(function (t) { return el('option', { value: t.name, text: t.name, selected: t.name === browse.topic ? 'selected' : null }) }))
      var partition = el('input', { name: 'partition', type: 'number', min: '0', value: browse.partition })
      var mode = el('select', { name: 'mode' }, [el('option', { value: 'offset', text: 'offset', selected: browse.mode === 'offset' ? 'selected' : null }), el('option', { value: 'time', text: 'time', selected: browse.mode === 'time' ? 'selected' : null })])
      var offset = el('input', { name: 'offset', type: 'number', min: '0', value: browse.offset })
      var time = el('input', { name: 'time', type: 'datetime-local', value: browse.time })
      var limit = el('input', { name: 'limit', type: 'number', min: '1', max: '200', value: browse.limit })
      var as = el('select', { name: 'as' }, ['text', 'json', 'hex'].map(function (a) { return el('option', { value: a, text: a, selected: browse.as === a ? 'selected' : null }) }))
      var results = el('div', { 'data-testid': 'browse-results' })
      var form = el('form', { 'data-testid': 'browse-form' }, [
        el('label', {}, ['Topic', topic]), el('label', {}, ['Partition', partition]), el('label', {}, ['Start at', mode]),
        el('label', {}, ['Offset', offset]), el('label', {}, ['Time', time]), el('label', {}, ['Messages', limit]), el('label', {}, ['Show as', as]),
        el('button', { type: 'submit', text: 'Read', 'data-testid': 'browse-read' }),
      ])
      function read() {
        browse = { topic: topic.value, partition: partition.value, mode: mode.value, offset: offset.value, time: time.value, limit: limit.value, as: as.value }
        var q = '?topic=' + encodeURIComponent(browse.topic) + '&partition=' + encodeURIComponent(browse.partition) + '&limit=' + encodeURIComponent(browse.limit)
        if (browse.mode === 'time' && browse.time) q += '&timestamp=' + new Date(browse.time).getTime()
        else q += '&offset=' + encodeURIComponent(browse.offset || '0')
        return api('/api/messages' + q).then(function (page) {
          var rows = page.messages.map(function (m) {
            var headers = m.headers.map(function (h) { return h.key + '=' + (decodeBytes(h.value, browse.as) || '') }).join('\n')
            return el('tr', { 'data-testid': 'message-row' }, [
              td(m.offset, true), td(new Date(m.timestamp).toISOString()),
              el('td', {}, [el('pre', { text: m.key === null ? '(null)' : decodeBytes(m.key, browse.as) })]),
              el('td', {}, [el('pre', { text: m.value === null ? '(null)' : decodeBytes(m.value, browse.as) })]),
              el('td', {}, [el('pre', { text: headers || '-' })]),
            ])
          })
          results.replaceChildren(
            el('p', { class: 'muted', text: page.topic + '-' + page.partition + ': offsets ' + page.startOffset + '…' + page.endOffset + ', showing ' + page.messages.length + ' from ' + page.from }),
            table([{ label: 'Offset', num: true }, { label: 'Timestamp' }, { label: 'Key' }, { label: 'Value' }, { label: 'Headers' }], rows),
          )
        }, function (err) { results.replaceChildren(el('p', { class: 'error-box', text: err.message })) })
      }
      form.addEventListener('submit', function (e) { e.preventDefault(); read() })
      if (browse.topic) read()
      return [el('h2', { text: 'Messages' }), form, results]
    })
  }

  function clusterPage() {
    return api('/api/cluster').then(function (c) {
      var stats = c.stats || {}
      var cluster = stats.cluster
      var heard = {}
      if (cluster) cluster.nodes.forEach(function (n) { heard[n.nodeId] = n })
      var nodes = [el('h2', { text: 'Cluster' }), el('dl', { class: 'kv' }, [
        el('dt', { text: 'Cluster id' }), el('dd', { text: c.clusterId }),
        el('dt', { text: 'Controller' }), el('dd', { text: c.controllerId }),
        el('dt', { text: 'Mode' }), el('dd', { text: cluster ? 'replicated (Raft)' : 'single node' }),
      ])]
      nodes.push(el('h3', { text: 'Nodes' }))
      nodes.push(table([{ label: 'Node', num: true }, { label: 'Address' }, { label: 'Kafka listener' }, { label: 'Last heard' }], c.brokers.slice().sort(function (a, b) { return a.nodeId - b.nodeId }).map(function (b) {
        var n = heard[b.nodeId]
        var kafka = n && n.kafka ? n.kafka.host + ':' + n.kafka.port : '-'
        var last = !n || n.lastHeardMsAgo < 0 ? (b.nodeId === stats.nodeId ? 'this node' : '-') : n.lastHeardMsAgo + ' ms ago'
        return el('tr', { 'data-testid': 'node-row-' + b.nodeId }, [td(b.nodeId, true), td(b.host + ':' + b.port), td(kafka), td(last)])
      }), { 'data-testid': 'nodes-table' }))
      if (cluster) {
        var m = cluster.metadata
        nodes.push(el('h3', { text: 'Metadata Raft group' }))
        nodes.push(el('dl', { class: 'kv', 'data-testid': 'raft-metadata' }, [
          el('dt', { text: 'Role' }), el('dd', { text: m.role }), el('dt', { text: 'Leader' }), el('dd', { text: m.leader }),
          el('dt', { text: 'Term' }), el('dd', { text: m.term }), el('dt', { text: 'Commit / applied / last index' }), el('dd', { text: m.commitIndex + ' / ' + m.appliedIndex + ' / ' + m.lastIndex }),
          el('dt', { text: 'Voters' }), el('dd', { text: m.voters.join(', ') }), el('dt', { text: 'Leader changes seen' }), el('dd', { text: cluster.leaderChanges }),
        ]))
        nodes.push(el('h3', { text: 'Partition Raft groups on this node' }))
        nodes.push(table([{ label: 'Partition' }, { label: 'Role' }, { label: 'Leader', num: true }, { label: 'Term', num: true }, { label: 'Commit', num: true }, { label: 'Followers (lag in entries)' }], cluster.partitions.map(function (p) {
          return el('tr', { 'data-testid': 'raft-row-' + p.topic + '-' + p.partition }, [td(p.topic + '-' + p.partition), td(p.raft.role), td(p.raft.leader, true), td(p.raft.term, true), td(p.raft.commitIndex, true),
            td(p.followers.map(function (f) { return f.nodeId + ': ' + f.lagEntries + (f.inSync ? '' : ' (out of sync)') }).join(', ') || '-')])
        })))
      }
      if (stats.storage) {
        var s = stats.storage
        var f = s.fsyncLatencySeconds
        nodes.push(el('h3', { text: 'Storage' }))
        nodes.push(el('dl', { class: 'kv', 'data-testid': 'storage' }, [
          el('dt', { text: 'Kind' }), el('dd', { text: s.kind }), el('dt', { text: 'Partitions open' }), el('dd', { text: s.partitions }),
          el('dt', { text: 'Segments' }), el('dd', { text: s.segments }), el('dt', { text: 'Bytes' }), el('dd', { text: s.sizeBytes }),
          el('dt', { text: 'Flushes (mean)' }), el('dd', { text: f ? f.count + ' (' + (f.count ? ((f.sum / f.count) * 1000).toFixed(2) : '0') + ' ms)' : '-' }),
          el('dt', { text: 'Slow flushes' }), el('dd', { text: s.slowFsyncs === undefined ? '-' : s.slowFsyncs }),
        ]))
      }
      return nodes
    })
  }

  var PAGES = { topics: topicsPage, groups: groupsPage, messages: messagesPage, cluster: clusterPage }

  function currentPage() {
    var name = (location.hash || '#/topics').replace(/^#\//, '').split('?')[0]
    return PAGES[name] ? name : 'topics'
  }

  var rendering = false
  function refresh() {
    if (rendering) return
    var name = currentPage()
    Array.prototype.forEach.call(document.querySelectorAll('nav a'), function (a) { a.className = a.getAttribute('data-page') === name ? 'active' : '' })
    rendering = true
    PAGES[name]().then(function (nodes) {
      main.replaceChildren.apply(main, nodes)
      main.setAttribute('data-page', name)
      setStatus((overview ? 'cluster ' + overview.clusterId + ' · ' : '') + 'updated ' + new Date().toLocaleTimeString() + (overview && overview.actions ? ' · actions on' : ' · read-only'))
    }, function (err) { setStatus(err.message, true) }).then(function () { rendering = false })
  }

  function editing() {
    var a = document.activeElement
    return !!a && main.contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)
  }

  function schedule() {
    clearInterval(pollTimer)
    // The message browser reads on demand; the other pages follow the data.
    // A form being filled in (focus in an input or select) is not redrawn under the user's hands.
    pollTimer = setInterval(function () { if (currentPage() !== 'messages' && !editing()) refresh() }, POLL_MS)
  }

  window.addEventListener('hashchange', function () { refresh(); schedule() })
  api('/api/overview').then(function (o) { overview = o }, function () {}).then(function () { refresh(); schedule() })
})()
`
