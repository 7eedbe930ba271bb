package servicenow

// BusinessRuleScript is the server-side script of the Business Rule that
// sends incident state changes back to the SIEM (see the package
// documentation for the record's settings). It is the same script as in
// README.md, so a host UI can show it with a copy button.
//
// Run it after Insert, Update and Delete: a deleted incident is reported
// with operation "delete" (event id "<sys_id>:delete"), which [Parser]
// reads as a deletion.
//
// It reads three system properties (System Properties > New):
//
//   - itsmsync.callback_url: the SIEM's callback URL (string);
//   - itsmsync.callback_token: the callback token shown once when it was
//     generated (string, "Private" checked, read roles: admin);
//   - itsmsync.integration_user (optional): the user name the SIEM's
//     connector logs in as; changes made by that user are not sent back
//     (the SIEM also suppresses echoes, this saves the round trip).
//
// The body is the one [Parser] reads; the request goes out asynchronously
// through the ECC queue (RESTMessageV2.executeAsync), so the user's save
// never waits for the SIEM.
const BusinessRuleScript = `(function executeRule(current, previous /*null when async*/) {
    // itsmsync: send state (and priority) changes to the SIEM.
    var url = gs.getProperty('itsmsync.callback_url', '');
    var token = gs.getProperty('itsmsync.callback_token', '');
    if (!url || !token) {
        gs.warn('itsmsync: set the itsmsync.callback_url and itsmsync.callback_token system properties');
        return;
    }
    var self = gs.getProperty('itsmsync.integration_user', '');
    if (self && gs.getUserName() == self) {
        return; // our own update: the SIEM already has it
    }
    var body = {
        sys_id: current.getUniqueValue(),
        number: current.getValue('number'),
        table: current.getTableName(),
        operation: current.operation(),
        sys_mod_count: current.getValue('sys_mod_count'),
        sys_updated_on: current.getValue('sys_updated_on') // UTC
    };
    if (current.operation() == 'delete') {
        body.event_id = body.sys_id + ':delete'; // the last update already used sys_id:sys_mod_count
    } else if (current.operation() == 'insert' || current.state.changes()) {
        body.state = current.getValue('state');
        if (previous) {
            body.previous_state = previous.getValue('state');
        }
    }
    if (current.operation() == 'insert' || current.priority.changes()) {
        body.priority = current.getValue('priority');
    }
    if (!body.event_id) {
        body.event_id = body.sys_id + ':' + body.sys_mod_count;
    }

    var rm = new sn_ws.RESTMessageV2();
    rm.setHttpMethod('post');
    rm.setEndpoint(url);
    rm.setRequestHeader('Content-Type', 'application/json');
    rm.setRequestHeader('Authorization', 'Bearer ' + token);
    rm.setRequestBody(JSON.stringify(body));
    rm.setHttpTimeout(10000);
    rm.executeAsync();
})(current, previous);
`
