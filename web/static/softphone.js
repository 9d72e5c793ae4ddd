// The workplace's browser softphone (#webphone, web/templates/_work.html): registers the
// operator's extension with Asterisk over SIP-over-WebSocket (JsSIP, /static/vendor/jssip.min.js)
// with short-lived credentials from the session (GET /work/softphone), kept in memory only. It
// rings, answers, mutes, holds, hangs up and sends DTMF; the caller's card and the transfer stay
// the server's (#softphone, filled by the event stream as for a handset).
//
// Test hook: #webphone's data-heard is the dominant frequency (Hz) of what the operator hears,
// measured by a WebAudio analyser; data-state is the softphone's state (registered, ringing,
// talking...); data-codec and data-codec-in the audio codecs sent and received.
(function () {
  "use strict";

  var root = document.getElementById("webphone");
  if (!root || !window.JsSIP || !window.RTCPeerConnection || !navigator.mediaDevices) {
    if (root) {
      showError("Этот браузер не поддерживает телефон в браузере (WebRTC). Используйте SIP-телефон или другой браузер.");
    }
    return;
  }
  var el = function (id) { return document.getElementById(id); };
  var stateEl = el("webphone-state");
  var errorEl = el("webphone-error");
  var micSel = el("webphone-mic");
  var audioEl = el("webphone-audio");
  var buttons = {
    answer: el("webphone-answer"),
    mute: el("webphone-mute"),
    hold: el("webphone-hold"),
    hangup: el("webphone-hangup"),
  };
  var keys = root.querySelectorAll("button.dtmf");

  var ua = null;         // the JsSIP user agent
  var session = null;    // the call being offered or talked
  var creds = null;      // the current credentials (memory only)
  var audioCtx = null;   // WebAudio, for the analyser
  var analyserTimer = 0;
  var retryTimer = 0;
  var retryDelay = 2000;
  var micChecked = false;
  var holdPending = false; // a hold's re-INVITE is under way

  function setState(code, text) {
    root.dataset.state = code;
    stateEl.textContent = text;
  }
  function showError(text) {
    var e = document.getElementById("webphone-error");
    if (!e) { return; }
    e.textContent = text;
    e.hidden = !text;
  }

  // controls enables the buttons that make sense in the current state.
  function controls() {
    var ringing = !!session && session.direction === "incoming" && !session.isEstablished() && !session.isEnded();
    var talking = !!session && session.isEstablished() && !session.isEnded();
    buttons.answer.disabled = !ringing;
    buttons.hangup.disabled = !(ringing || talking);
    buttons.mute.disabled = !talking;
    buttons.hold.disabled = !talking || holdPending;
    keys.forEach(function (k) { k.disabled = !talking; });
    if (!talking) {
      muteButton(false);
      holdButton(false);
    }
  }

  // micError turns a getUserMedia failure into what the operator can do about it.
  function micError(err) {
    var name = err && err.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return "Доступ к микрофону запрещён. Разрешите браузеру использовать микрофон для этого сайта и обновите страницу.";
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return "Микрофон не найден. Подключите микрофон или выберите другой в списке «Микрофон».";
    }
    if (name === "NotReadableError") {
      return "Микрофон занят другой программой или неисправен. Закройте её или выберите другой микрофон.";
    }
    return "Микрофон недоступен: " + (err && err.message ? err.message : String(err)) + ".";
  }

  function audioConstraints() {
    return micSel.value ? { deviceId: { exact: micSel.value } } : true;
  }

  // checkMicrophone asks for the microphone once at start (so a missing or refused one is said at
  // once, not when a call rings) and lists the devices, whose names the browser shows only then.
  function checkMicrophone() {
    return navigator.mediaDevices.getUserMedia({ audio: audioConstraints() }).then(function (stream) {
      stream.getTracks().forEach(function (t) { t.stop(); });
      return listMicrophones().then(function () { return true; });
    }, function (err) {
      showError(micError(err));
      return false;
    });
  }

  function listMicrophones() {
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var chosen = micSel.value;
      while (micSel.options.length > 1) { micSel.remove(1); }
      devices.forEach(function (d) {
        if (d.kind !== "audioinput" || d.deviceId === "default" || !d.deviceId) { return; }
        var o = document.createElement("option");
        o.value = d.deviceId;
        o.textContent = d.label || ("Микрофон " + micSel.options.length);
        micSel.appendChild(o);
      });
      micSel.value = chosen;
      if (micSel.value !== chosen) { micSel.value = ""; }
    });
  }

  // fetchCredentials asks the server for a fresh password; null when the operator has no softphone.
  function fetchCredentials() {
    return fetch(root.dataset.credentials, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (resp) {
        return resp.json().then(function (body) { return { status: resp.status, body: body }; },
          function () { return { status: resp.status, body: {} }; });
      })
      .then(function (r) {
        if (r.status === 200 && r.body.password) { return r.body; }
        if (r.body.handset) {
          // The operator's device is a handset: no softphone, and no microphone asked for.
          setState("handset", r.body.error || "Звонки поступают на SIP-телефон.");
          root.hidden = true;
          return null;
        }
        if (r.status === 401 || r.status === 403) {
          throw new Error("Сеанс работы завершён: войдите в систему заново.");
        }
        throw new Error(r.body.error || ("Сервер не выдал учётные данные телефона (код " + r.status + ")."));
      });
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(start, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  // start asks for credentials first (a handset's operator is never asked for the microphone),
  // then checks the microphone once, then registers. Without a microphone the softphone still
  // registers: the message stays, and answering says it again, rather than calls missed silently.
  function start() {
    fetchCredentials().then(function (c) {
      if (!c) { return; }
      creds = c;
      if (micChecked) { connect(); return; }
      micChecked = true;
      setState("starting", "Проверка микрофона…");
      checkMicrophone().then(connect);
    }, function (err) {
      showError(err.message);
      setState("error", "Телефон в браузере не подключён.");
      scheduleRetry();
    });
  }

  function connect() {
    if (ua) { ua.removeAllListeners(); ua.stop(); }
    var socket = new JsSIP.WebSocketInterface(creds.websocket);
    ua = new JsSIP.UA({
      sockets: [socket],
      uri: creds.uri,
      authorization_user: creds.user,
      password: creds.password,
      register: true,
      register_expires: 120,
      session_timers: false,
      // JsSIP reconnects the WebSocket by itself, waiting 2 s, then longer, up to 30 s.
      connection_recovery_min_interval: 2,
      connection_recovery_max_interval: 30,
      user_agent: "hotline-workplace",
    });
    ua.on("connecting", function () { setState("connecting", "Подключение к серверу телефонии…"); });
    ua.on("connected", function () { setState("connected", "Соединение установлено, регистрация…"); });
    ua.on("disconnected", function () {
      setState("disconnected", "Нет связи с сервером телефонии (WebSocket). Повторное подключение…");
      showError("Связь с сервером телефонии потеряна: звонки в браузер не поступают, пока она не восстановится.");
    });
    ua.on("registered", function () {
      retryDelay = 2000;
      showError("");
      setState("registered", "Телефон готов: звонки поступают в браузер.");
    });
    ua.on("unregistered", function () { setState("unregistered", "Телефон не зарегистрирован."); });
    ua.on("registrationFailed", function (e) {
      setState("unregistered", "Телефон не зарегистрирован.");
      if (e.cause === JsSIP.C.causes.AUTHENTICATION_ERROR || e.cause === JsSIP.C.causes.REJECTED) {
        // The password lapsed or was revoked: ask the server for a new one.
        showError("Сервер телефонии не принял учётные данные; запрашиваем новые…");
        scheduleRetry();
        return;
      }
      showError("Регистрация телефона не удалась: " + e.cause + ". Повторная попытка…");
    });
    // Before the registration runs out: a fresh password first (the old one may have lapsed).
    ua.on("registrationExpiring", function () {
      fetchCredentials().then(function (c) {
        if (!c) { return; }
        creds = c;
        ua.set("password", c.password);
        ua.register();
      }, function (err) {
        showError(err.message);
        ua.register();
      });
    });
    ua.on("newRTCSession", function (e) {
      if (e.originator !== "remote") { return; }
      if (session && !session.isEnded()) {
        e.session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
        return;
      }
      offered(e.session);
    });
    ua.start();
  }

  function offered(s) {
    session = s;
    setState("ringing", "Входящий звонок: нажмите «Ответить».");
    showError("");
    s.on("peerconnection", function (e) { watchConnection(e.peerconnection); });
    s.on("accepted", function () { setState("talking", "Разговор."); controls(); });
    s.on("confirmed", function () { setState("talking", "Разговор."); controls(); });
    // The hold button follows the session, not the click: a hold takes a re-INVITE, and JsSIP
    // refuses another while one is under way.
    s.on("hold", function (e) { if (e.originator === "local") { holdButton(true); } });
    s.on("unhold", function (e) { if (e.originator === "local") { holdButton(false); } });
    s.on("muted", function () { muteButton(true); });
    s.on("unmuted", function () { muteButton(false); });
    s.on("ended", function (e) { finished(e, false); });
    s.on("failed", function (e) { finished(e, true); });
    controls();
  }

  // watchConnection plays the far end's audio, feeds the analyser, and says when ICE fails.
  function watchConnection(pc) {
    pc.addEventListener("track", function (ev) {
      var stream = ev.streams && ev.streams[0] ? ev.streams[0] : new MediaStream([ev.track]);
      audioEl.srcObject = stream;
      var p = audioEl.play();
      if (p && p.catch) { p.catch(function () {}); }
      analyse(stream);
    });
    pc.addEventListener("iceconnectionstatechange", function () {
      if (pc.iceConnectionState === "failed") {
        showError("Не удалось установить голосовое соединение с сервером телефонии (ICE): проверьте сеть и межсетевой экран (порты RTP по UDP).");
      } else if (pc.iceConnectionState === "disconnected") {
        showError("Голосовое соединение прервалось; ожидаем восстановления…");
      } else if (pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed") {
        showError("");
        codecOf(pc);
      }
    });
  }

  // codecOf puts the audio codecs in use in data-codec (what the browser sends, e.g. audio/opus)
  // and data-codec-in (what it receives): for support, and for the test.
  function codecOf(pc) {
    pc.getStats().then(function (report) {
      var codecs = {};
      report.forEach(function (st) { if (st.type === "codec") { codecs[st.id] = st.mimeType; } });
      report.forEach(function (st) {
        if (st.kind !== "audio" || !st.codecId) { return; }
        if (st.type === "outbound-rtp") { root.dataset.codec = codecs[st.codecId] || ""; }
        if (st.type === "inbound-rtp") { root.dataset.codecIn = codecs[st.codecId] || ""; }
      });
    }, function () {});
  }

  function finished(e, failed) {
    var s = session;
    session = null;
    holdPending = false;
    stopAnalyser();
    audioEl.srcObject = null;
    controls();
    if (failed && e.cause === JsSIP.C.causes.USER_DENIED_MEDIA_ACCESS) {
      showError("Звонок не принят: нет доступа к микрофону. Разрешите браузеру использовать микрофон.");
    } else if (failed && e.originator === "local" && e.cause !== JsSIP.C.causes.CANCELED && e.cause !== JsSIP.C.causes.REJECTED) {
      showError("Звонок не состоялся: " + e.cause + ".");
    }
    var text = ua && ua.isRegistered() ? "Телефон готов: звонки поступают в браузер." : "Телефон не зарегистрирован.";
    setState(ua && ua.isRegistered() ? "registered" : "unregistered", text);
    return s;
  }

  // analyse writes the dominant frequency of what the operator hears into data-heard (the test
  // hook; also a sign for support that audio arrives).
  function analyse(stream) {
    stopAnalyser();
    try {
      if (!audioCtx) { audioCtx = new AudioContext(); }
      if (audioCtx.state === "suspended") { audioCtx.resume(); }
      var src = audioCtx.createMediaStreamSource(stream);
      var an = audioCtx.createAnalyser();
      an.fftSize = 4096;
      src.connect(an);
      var bins = new Float32Array(an.frequencyBinCount);
      analyserTimer = setInterval(function () {
        an.getFloatFrequencyData(bins);
        var best = -1, bestDb = -Infinity;
        for (var i = 2; i < bins.length; i++) {
          if (bins[i] > bestDb) { bestDb = bins[i]; best = i; }
        }
        // Below -70 dBFS is silence (or comfort noise): no frequency to report.
        root.dataset.heard = best > 0 && bestDb > -70 ? String(Math.round(best * audioCtx.sampleRate / an.fftSize)) : "";
      }, 200);
    } catch (err) {
      root.dataset.heard = "";
    }
  }

  function stopAnalyser() {
    clearInterval(analyserTimer);
    analyserTimer = 0;
    root.dataset.heard = "";
  }

  buttons.answer.addEventListener("click", function () {
    if (!session) { return; }
    // The click is the user's gesture that lets the page play and analyse audio.
    if (!audioCtx) { audioCtx = new AudioContext(); }
    audioCtx.resume();
    buttons.answer.disabled = true;
    navigator.mediaDevices.getUserMedia({ audio: audioConstraints() }).then(function (stream) {
      if (!session) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
      session.answer({ mediaStream: stream, pcConfig: { iceServers: [] } });
    }, function (err) {
      showError(micError(err) + " Звонок не принят.");
      controls();
    });
  });
  buttons.hangup.addEventListener("click", function () {
    if (session) { session.terminate(); }
  });
  function muteButton(muted) {
    buttons.mute.setAttribute("aria-pressed", String(muted));
    buttons.mute.textContent = muted ? "Включить микрофон" : "Выключить микрофон";
  }
  function holdButton(held) {
    buttons.hold.setAttribute("aria-pressed", String(held));
    buttons.hold.textContent = held ? "Снять с удержания" : "Удержание";
  }
  buttons.mute.addEventListener("click", function () {
    if (!session) { return; }
    if (session.isMuted().audio) { session.unmute({ audio: true }); } else { session.mute({ audio: true }); }
  });
  // A hold or its release is a re-INVITE: the button waits for Asterisk's answer (JsSIP accepts no
  // other re-INVITE meanwhile).
  buttons.hold.addEventListener("click", function () {
    if (!session || holdPending) { return; }
    var s = session;
    var finished = function () { holdPending = false; if (s === session) { controls(); } };
    holdPending = true;
    buttons.hold.disabled = true;
    var started = s.isOnHold().local ? s.unhold({}, finished) : s.hold({}, finished);
    if (!started) {
      holdPending = false;
      controls();
      showError("Удержание сейчас недоступно: повторите через секунду.");
    }
  });
  keys.forEach(function (k) {
    k.addEventListener("click", function () {
      if (session && session.isEstablished()) { session.sendDTMF(k.dataset.digit); }
    });
  });
  // Another microphone during a call: its track replaces the old one in the connection.
  micSel.addEventListener("change", function () {
    if (!session || !session.connection) { return; }
    navigator.mediaDevices.getUserMedia({ audio: audioConstraints() }).then(function (stream) {
      var track = stream.getAudioTracks()[0];
      session.connection.getSenders().forEach(function (snd) {
        if (snd.track && snd.track.kind === "audio") {
          var old = snd.track;
          snd.replaceTrack(track).then(function () { old.stop(); });
        }
      });
    }, function (err) { showError(micError(err)); });
  });
  navigator.mediaDevices.addEventListener("devicechange", function () { listMicrophones(); });
  window.addEventListener("beforeunload", function () {
    if (ua) { ua.stop(); }
  });

  setState("starting", "Подключение…");
  controls();
  start();
})();
